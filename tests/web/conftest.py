"""Fixtures for the web app: a Context with a signing key and a private outbox, the app,
a test client with CSRF on, a real server on loopback, and helpers to read pages and mail."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.delivery.conftest import parse
from varcomms.audience import import_csv
from varcomms.config import load_secrets
from varcomms.context import Context
from varcomms.tokens import TokenSigner
from varcomms.web import create_app
from varcomms.web.server import make_server

SIGNING_KEY = "web-test-signing-key-0123456789abcdef"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LINK = re.compile(r"https://\S+/bevestigen/[A-Za-z0-9_.=-]+")


@pytest.fixture
def web_ctx(context: Context, tmp_path: Path) -> Context:
    context.secrets = load_secrets({"VARCOMMS_SIGNING_KEY": SIGNING_KEY})
    config = context.config
    provider = config.provider.model_copy(
        update={
            "name": "outbox",
            "outbox": config.provider.outbox.model_copy(update={"directory": tmp_path / "outbox"}),
        }
    )
    delivery = config.delivery.model_copy(update={"rate_per_second": 1000.0})
    context.config = config.model_copy(update={"provider": provider, "delivery": delivery})
    return context


@pytest.fixture
def app(web_ctx: Context) -> Flask:
    return create_app(context=web_ctx, secure_cookies=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SIGNING_KEY)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def submit(client: FlaskClient, url: str, data: dict[str, Any], *, page: str | None = None) -> Any:
    """POST a form the way a browser does: open its page first, send its CSRF token."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_of(html), **data})


def people_csv(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    header = ["email", "name", "organisation", "org_type", "municipality", "themes", "status"]
    lines = [",".join(header)] + [",".join(row.get(h, "") for h in header) for row in rows]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def add_people(ctx: Context, tmp_path: Path, *rows: dict[str, str]) -> None:
    report = import_csv(ctx, people_csv(tmp_path, list(rows)))
    assert not report.skipped, report.to_dict()


def mails(ctx: Context, kind: str = "bevestiging") -> list[EmailMessage]:
    folder = ctx.config.resolve(ctx.config.provider.outbox.directory) / kind
    return [parse(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def confirmation_path(message: EmailMessage) -> str:
    text = message.get_body(("plain",)).get_content()
    found = LINK.search(text)
    assert found, text
    return "/" + found.group(0).split("/", 3)[3]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app under waitress on a free loopback port, in a thread; yields its base URL."""
    server = make_server(app, "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)
