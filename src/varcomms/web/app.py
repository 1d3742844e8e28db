"""The app factory: configuration in, a WSGI app out (any WSGI server can run it)."""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, redirect, request, send_file, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from varcomms.context import Context
from varcomms.errors import VarcommsError
from varcomms.events.blueprint import webhooks_blueprint
from varcomms.events.receive import MAX_BODY_BYTES

from . import prefs, subscribe, unsubscribe
from .pages import error_page
from .security import add_headers, derive_key
from .state import EXTENSION, WebState

log = logging.getLogger(__name__)
csrf = CSRFProtect()
FORM_MAX_BYTES = 64 * 1024
CONFIG_ENV = "VARCOMMS_CONFIG"


def create_app(
    config_path: str | Path | None = None,
    *,
    context: Context | None = None,
    secure_cookies: bool = True,
) -> Flask:
    """The subscriber web app for one configuration.

    ``config_path`` defaults to $VARCOMMS_CONFIG, else ./varcomms.toml; secrets come from
    the environment (VARCOMMS_SIGNING_KEY). Tests and the demo pass a ready ``context``.
    Session cookies are marked Secure unless ``secure_cookies`` is off (plain-http
    development on loopback).
    """
    if context is None:
        path = config_path or os.environ.get(CONFIG_ENV)
        context = Context.from_files(Path(path) if path else None)
    state = WebState.build(context)
    context.store  # noqa: B018 -- open (and migrate) once, before threads share it
    signing_key = context.secrets.require("signing_key", purpose="the web app")

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=derive_key(signing_key, "session"),
        SESSION_COOKIE_NAME="varcomms_sessie",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        WTF_CSRF_TIME_LIMIT=4 * 3600,
        # The CSRF check compares with the Referer on https; we send none (no-referrer).
        WTF_CSRF_SSL_STRICT=False,
        # Webhook batches may be large; forms are held to FORM_MAX_BYTES (below).
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_AS_ASCII=False,
    )
    app.extensions[EXTENSION] = state
    trusted = context.config.web.trusted_proxies
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)  # type: ignore[method-assign]

    # Before the CSRF check, which is the first to read a form.
    @app.before_request
    def _small_forms() -> None:
        if request.blueprint != "webhooks":
            request.max_content_length = FORM_MAX_BYTES

    csrf.init_app(app)

    app.register_blueprint(subscribe.blueprint())
    app.register_blueprint(prefs.blueprint(state.preferences_path))
    unsubscribe_bp = unsubscribe.blueprint(state.unsubscribe_path)
    app.register_blueprint(unsubscribe_bp)
    # The one-click POST cannot carry a CSRF token; the view checks the page's own form.
    csrf.exempt(unsubscribe.post)
    app.register_blueprint(_site(context))
    # Providers' webhooks (bounces, complaints, opens, clicks): signed, not CSRF-protected.
    webhooks = webhooks_blueprint(lambda: context)
    csrf.exempt(webhooks)
    app.register_blueprint(webhooks)

    app.after_request(lambda response: add_headers(request, response))

    @app.errorhandler(CSRFError)
    def _csrf(_err: CSRFError) -> tuple[str, int]:
        return error_page("csrf", 400)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> tuple[str, int] | HTTPException:
        if err.code == 404:
            return error_page("notfound", 404)
        return err

    def log_exception(exc_info: Any) -> None:
        # Flask's own line names the path (a token) and the message may hold an address
        # (database errors quote their parameters): log the type and the frames only.
        kind, _value, trace = exc_info
        frames = "".join(traceback.format_tb(trace))
        log.error("unhandled %s in %s\n%s", kind.__name__, request.endpoint, frames)

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.errorhandler(VarcommsError)
    def _ours(err: VarcommsError) -> tuple[str, int]:
        log.error("request failed: %s", type(err).__name__)
        return error_page("server", 500)

    return app


def _site(context: Context) -> Blueprint:
    """Health check, brand assets and the front door."""
    bp = Blueprint("site", __name__)
    config = context.config

    @bp.get("/")
    def home() -> Response:
        return redirect(url_for("subscribe.form"), 302)  # type: ignore[return-value]

    @bp.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        try:
            with context.store.connect() as db:
                db.execute(text("SELECT 1"))
        except Exception:  # any failure means "not healthy"
            return "database unavailable\n", 503, {"Content-Type": "text/plain"}
        return "ok\n", 200, {"Content-Type": "text/plain"}

    @bp.get("/logo/<name>.png")
    def logo(name: str) -> Response:
        brand = config.brands.get(name)
        if brand is None:
            abort(404)
        path = config.resolve(brand.logo_path)
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype="image/png", max_age=86400)

    @bp.get("/huisstijl.css")
    def brand_css() -> Response:
        var, riec = config.brands["var"], config.brands["riec"]
        css = (
            f":root {{\n  --accent: {var.accent_colour};\n  --accent-2: {riec.accent_colour};\n}}\n"
        )
        response = Response(css, mimetype="text/css")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    return bp
