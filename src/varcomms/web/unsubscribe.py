"""Unsubscribe: the RFC 8058 one-click POST, and a page with one button for people.

The List-Unsubscribe URL of every newsletter answers both. A mail client's one-click
POST (body ``List-Unsubscribe=One-Click``) unsubscribes at once: no login, cookie or
CSRF token can exist there, and the signed token is the authority. Everything else
posted here is the page's own form, which must carry its CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from varcomms.audience import preferences
from varcomms.tokens import TokenClaims, TokenError

from .forms import UnsubscribeForm
from .pages import error_page, page
from .state import web


def _claims(token: str) -> TokenClaims | None:
    try:
        return web().signer.verify("unsubscribe", token, now=web().ctx.clock.now())
    except TokenError:
        return None


def _apply(claims: TokenClaims, *, source: str, reason: str | None = None) -> None:
    preferences.unsubscribe(
        web().ctx.store,
        subscriber_id=claims.subscriber_id,
        email=claims.email if claims.subscriber_id is None else None,
        now=web().ctx.clock.now(),
        channel="web",
        source=source,
        edition_id=claims.edition_id,
        reason=reason,
    )


def show(token: str) -> tuple[str, int]:
    claims = _claims(token)
    if claims is None:
        return error_page("invalid", 400)
    return page("unsubscribe.html", form=UnsubscribeForm(), token=token)


def post(token: str) -> tuple[str, int] | Response:
    claims = _claims(token)
    if claims is None:
        return error_page("invalid", 400)
    if request.form.get("List-Unsubscribe") == "One-Click":
        _apply(claims, source="one-click")
        return Response("Afgemeld.\n", status=200, mimetype="text/plain")
    from .app import csrf

    csrf.protect()  # CSRFError (400) unless the page's own form sent this
    form = UnsubscribeForm()
    if not form.validate():
        return page("unsubscribe.html", 400, form=form, token=token)
    _apply(claims, source="unsubscribe-page", reason=(form.reason.data or "").strip() or None)
    return page("unsubscribed.html")


def blueprint(path: str) -> Blueprint:
    """The routes under ``path`` (from the configured URL base)."""
    bp = Blueprint("unsubscribe", __name__)
    bp.add_url_rule(f"{path}/<token>", "show", show, methods=["GET"])
    bp.add_url_rule(f"{path}/<token>", "post", post, methods=["POST"])
    return bp
