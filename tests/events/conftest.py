"""A sent edition with four readers, and a Flask app serving the webhook endpoints."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import FIXTURES
from varcomms.clock import FakeClock
from varcomms.config import Config, load_secrets
from varcomms.context import Context
from varcomms.events.blueprint import webhooks_blueprint
from varcomms.store import Store
from varcomms.store.schema import deliveries, sends, subscribers

NOW = datetime(2022, 2, 1, 9, 10, tzinfo=UTC)
SEND_ID = "send-2022-01-a"
READERS = {
    "anna.jansen@gemeente.example.nl": "<2022-01.aaaa1111@veiligheidsalliantie.nl>",
    "bram.bakker@politie.example.nl": "<2022-01.bbbb2222@veiligheidsalliantie.nl>",
    "carla.dekker@om.example.nl": "<2022-01.cccc3333@veiligheidsalliantie.nl>",
    "dirk.visser@gemeente.example.nl": "<2022-01.dddd4444@veiligheidsalliantie.nl>",
}
SECRETS = {
    "VARCOMMS_MAILGUN_WEBHOOK_SIGNING_KEY": "mg-signing-key-for-tests",
    "VARCOMMS_POSTMARK_WEBHOOK_PASSWORD": "pm-webhook-password",
    "VARCOMMS_BREVO_WEBHOOK_TOKEN": "brevo-webhook-token",
}


@pytest.fixture
def events_ctx(sample_config: Config, store: Store) -> Iterator[Context]:
    ctx = Context(config=sample_config, clock=FakeClock(NOW), secrets=load_secrets(SECRETS))
    ctx.__dict__["store"] = store
    with store.engine.begin() as db:
        db.execute(
            subscribers.insert(),
            [
                {
                    "email": email,
                    "domain": email.rsplit("@", 1)[1],
                    "status": "subscribed",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for email in READERS
            ],
        )
        db.execute(
            sends.insert().values(
                id=SEND_ID,
                edition_id="2022-01",
                provider="mailgun",
                is_test=False,
                status="finished",
                created_at=NOW,
                finished_at=NOW,
            )
        )
        db.execute(
            deliveries.insert(),
            [
                {
                    "send_id": SEND_ID,
                    "edition_id": "2022-01",
                    "recipient_key": email,
                    "email": email,
                    "variant": "algemeen",
                    "state": "sent",
                    "message_id": message_id,
                    "provider_message_id": "POSTMARK_ID" if email.startswith("anna") else None,
                    "updated_at": NOW,
                }
                for email, message_id in READERS.items()
            ],
        )
    yield ctx


@pytest.fixture
def client(events_ctx: Context) -> Any:
    app = Flask(__name__)
    app.register_blueprint(webhooks_blueprint(lambda: events_ctx))
    return app.test_client()


def payload(name: str, **replacements: str) -> bytes:
    text = (FIXTURES / "events" / name).read_text(encoding="utf-8")
    for key, value in replacements.items():
        text = text.replace(key, value)
    json.loads(text)  # the fixture stays valid JSON after the replacements
    return text.encode()


def mailgun_body(
    key: str, *, token: str = "t" * 50, timestamp: int | None = None, **replacements: str
) -> bytes:
    stamp = str(timestamp if timestamp is not None else int(NOW.timestamp()))
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return payload(
        "mailgun-failed-permanent.json",
        TIMESTAMP=stamp,
        TOKEN=token,
        SIGNATURE=signature,
        **replacements,
    )


def fixture_path(name: str) -> Path:
    return FIXTURES / "events" / name
