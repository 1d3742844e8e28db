"""The app as a whole: security headers on every answer, health check, logs, factory."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from varcomms.context import Context
from varcomms.errors import ConfigError
from varcomms.tokens import TokenSigner
from varcomms.web import create_app
from varcomms.web.app import FORM_MAX_BYTES

from .conftest import add_people


@pytest.fixture
def urls(web_ctx: Context, tmp_path: Path, signer: TokenSigner) -> list[str]:
    add_people(web_ctx, tmp_path, {"email": "a@example.org"})
    return [
        "/aanmelden",
        "/aanmelden/verstuurd",
        f"/voorkeuren/{signer.sign('preferences', 'a@example.org', subscriber_id=1)}",
        f"/afmelden/{signer.sign('unsubscribe', 'a@example.org', subscriber_id=1)}",
        "/afmelden/kapot.token",
        "/bestaat-niet",
        "/healthz",
        "/huisstijl.css",
        "/logo/var.png",
    ]


def test_every_answer_carries_the_security_headers(client: FlaskClient, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp, url
        assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert "<script" not in html and " style=" not in html and "<style" not in html
            assert '<html lang="nl">' in html


def test_head_and_get_answer_alike(client: FlaskClient) -> None:
    assert client.head("/aanmelden").status_code == client.get("/aanmelden").status_code == 200


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")


def test_healthz_says_so_when_the_database_is_gone(
    app: Flask, web_ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = create_engine("sqlite:////nonexistent/folder/varcomms.db")
    monkeypatch.setattr(web_ctx.store, "engine", gone)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and "ok" not in response.get_data(as_text=True)


def test_brand_colours_come_from_the_configuration(client: FlaskClient, web_ctx: Context) -> None:
    css = client.get("/huisstijl.css").get_data(as_text=True)
    assert web_ctx.config.brands["var"].accent_colour in css
    assert web_ctx.config.brands["riec"].accent_colour in css
    assert client.get("/logo/onbekend.png").status_code == 404


def test_the_session_cookie_is_secure_by_default(web_ctx: Context) -> None:
    client = create_app(context=web_ctx).test_client()
    cookie = client.get("/aanmelden").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_app_needs_the_signing_key(web_ctx: Context) -> None:
    from varcomms.config import load_secrets

    web_ctx.secrets = load_secrets({})
    with pytest.raises(ConfigError, match="VARCOMMS_SIGNING_KEY"):
        create_app(context=web_ctx)


def test_an_unexpected_error_logs_neither_path_nor_message(
    web_ctx: Context, urls: list[str], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from varcomms.audience import preferences

    message = "lookup failed for " + "a@example.org"

    def broken(*_args: object) -> None:
        raise RuntimeError(message)  # the source line shows in the log, the message not

    monkeypatch.setattr(preferences, "subscriber_by_id", broken)
    app = create_app(context=web_ctx, secure_cookies=False)
    response = app.test_client().get(urls[2])
    assert response.status_code == 500
    assert "RuntimeError" in caplog.text
    assert "a@example.org" not in caplog.text and urls[2].rsplit("/", 1)[1] not in caplog.text


def test_provider_webhooks_are_served_without_csrf(client: FlaskClient) -> None:
    # Refused by the events stage (no webhook key configured here), as JSON: not by CSRF.
    response = client.post("/webhooks/mailgun", json={"signature": {}})
    assert response.status_code in (400, 401, 403, 503) and response.is_json


def test_forms_are_held_to_a_small_body(client: FlaskClient) -> None:
    response = client.post("/aanmelden", data={"name": "x" * (FORM_MAX_BYTES + 1)})
    assert response.status_code == 413
