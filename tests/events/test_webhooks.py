"""Webhooks of each provider, with their documented payload shapes: verified, stored once,
tied to the ledger, and acted on through the audience stage."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from varcomms.audience import find_subscriber, is_suppressed
from varcomms.config import load_secrets
from varcomms.context import Context
from varcomms.store.schema import events

from .conftest import NOW, READERS, SECRETS, SEND_ID, mailgun_body, payload

MAILGUN_KEY = SECRETS["VARCOMMS_MAILGUN_WEBHOOK_SIGNING_KEY"]
ANNA = "anna.jansen@gemeente.example.nl"
BRAM = "bram.bakker@politie.example.nl"
CARLA = "carla.dekker@om.example.nl"
DIRK = "dirk.visser@gemeente.example.nl"


def stored(ctx: Context) -> list[dict[str, Any]]:
    with ctx.store.connect() as db:
        return [dict(row._mapping) for row in db.execute(select(events).order_by(events.c.id))]


def status(ctx: Context, email: str) -> str:
    record = find_subscriber(ctx.store, email)
    assert record is not None
    return record.status


def bare(email: str) -> str:
    return READERS[email].strip("<>")


# -- Mailgun ---------------------------------------------------------------------------


def test_mailgun_hard_bounce_is_stored_linked_and_suppresses(client, events_ctx) -> None:
    body = mailgun_body(MAILGUN_KEY, MESSAGE_ID=bare(ANNA), SEND_ID=SEND_ID)
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 200, answer.json
    rows = stored(events_ctx)
    assert len(rows) == 1
    assert rows[0]["type"] == "bounced" and rows[0]["email"] == ANNA
    assert rows[0]["edition_id"] == "2022-01" and rows[0]["send_id"] == SEND_ID
    assert rows[0]["data"]["bounce"] == "hard" and rows[0]["data"]["code"] == 550
    assert is_suppressed(events_ctx.store, ANNA)
    assert status(events_ctx, ANNA) == "bounced"
    assert not is_suppressed(events_ctx.store, DIRK) and status(events_ctx, DIRK) == "subscribed"


def test_mailgun_forged_signature_changes_nothing(client, events_ctx) -> None:
    body = mailgun_body("not-the-key", MESSAGE_ID=bare(ANNA), SEND_ID=SEND_ID)
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 403
    assert stored(events_ctx) == [] and not is_suppressed(events_ctx.store, ANNA)


def test_mailgun_stale_timestamp_is_refused(client, events_ctx) -> None:
    stale = int(NOW.timestamp()) - 3600
    body = mailgun_body(MAILGUN_KEY, timestamp=stale, MESSAGE_ID=bare(ANNA), SEND_ID=SEND_ID)
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 403 and "window" in answer.json["error"]
    assert stored(events_ctx) == []


def test_mailgun_replayed_token_is_refused(client, events_ctx) -> None:
    body = mailgun_body(MAILGUN_KEY, MESSAGE_ID=bare(ANNA), SEND_ID=SEND_ID)
    first = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    again = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert first.status_code == 200 and again.status_code == 403
    assert "replay" in again.json["error"]
    assert len(stored(events_ctx)) == 1


def test_mailgun_event_for_an_unknown_message_is_stored_unlinked_and_still_acts(
    client, events_ctx
) -> None:
    body = mailgun_body(
        MAILGUN_KEY, MESSAGE_ID="someone-else@elsewhere.example", SEND_ID="no-such-send"
    ).replace(ANNA.encode(), b"onbekend@example.org")
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 200 and answer.json["unlinked"] == 1
    row = stored(events_ctx)[0]
    assert row["data"]["linked"] is False and row["email"] == "onbekend@example.org"
    # A verified hard bounce means the address is dead, whatever was sent to it.
    assert is_suppressed(events_ctx.store, "onbekend@example.org")


def test_unconfigured_provider_refuses_rather_than_accepting_unverified(client, events_ctx) -> None:
    events_ctx.secrets = load_secrets({})
    body = mailgun_body(MAILGUN_KEY, MESSAGE_ID=bare(ANNA), SEND_ID=SEND_ID)
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 503 and stored(events_ctx) == []


# -- SendGrid --------------------------------------------------------------------------


@pytest.fixture
def sendgrid_key(events_ctx: Context) -> ec.EllipticCurvePrivateKey:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    events_ctx.secrets = load_secrets(
        {**SECRETS, "VARCOMMS_SENDGRID_WEBHOOK_PUBLIC_KEY": base64.b64encode(public).decode()}
    )
    return private


def sendgrid_post(client, key, body: bytes, *, timestamp: int | None = None) -> Any:
    stamp = str(timestamp if timestamp is not None else int(NOW.timestamp()))
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return client.post(
        "/webhooks/sendgrid",
        data=body,
        content_type="application/json",
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )


def sendgrid_batch() -> bytes:
    return payload(
        "sendgrid-batch.json",
        MESSAGE_ID_2=bare(BRAM),
        MESSAGE_ID=bare(ANNA),
        SEND_ID=SEND_ID,
    )


def test_sendgrid_batch_with_a_duplicate_is_stored_once_each(client, events_ctx, sendgrid_key):
    answer = sendgrid_post(client, sendgrid_key, sendgrid_batch())
    assert answer.status_code == 200, answer.json
    # processed is not kept; delivered, bounce, click (twice in the batch), spamreport.
    assert answer.json["received"] == 5 and answer.json["stored"] == 4
    assert answer.json["duplicates"] == 1
    kinds = sorted(row["type"] for row in stored(events_ctx))
    assert kinds == ["bounced", "clicked", "complained", "delivered"]
    click = next(row for row in stored(events_ctx) if row["type"] == "clicked")
    assert click["data"]["url"] == "https://veiligheidsalliantie.nl/nieuws/hackshield"
    assert click["edition_id"] == "2022-01"
    assert is_suppressed(events_ctx.store, BRAM) and status(events_ctx, BRAM) == "bounced"
    assert is_suppressed(events_ctx.store, CARLA) and status(events_ctx, CARLA) == "complained"
    assert not is_suppressed(events_ctx.store, ANNA) and status(events_ctx, ANNA) == "subscribed"


def test_sendgrid_retry_of_the_same_batch_doubles_nothing(client, events_ctx, sendgrid_key):
    sendgrid_post(client, sendgrid_key, sendgrid_batch())
    again = sendgrid_post(client, sendgrid_key, sendgrid_batch())
    assert again.status_code == 200 and again.json["stored"] == 0
    assert len(stored(events_ctx)) == 4


def test_sendgrid_tampered_body_or_foreign_key_is_refused(client, events_ctx, sendgrid_key):
    stamp = str(int(NOW.timestamp()))
    body = sendgrid_batch()
    signature = sendgrid_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    tampered = body.replace(b"bram.bakker", b"dirk.visser")
    answer = client.post(
        "/webhooks/sendgrid",
        data=tampered,
        content_type="application/json",
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        },
    )
    assert answer.status_code == 403
    other = ec.generate_private_key(ec.SECP256R1())
    assert sendgrid_post(client, other, body).status_code == 403
    unsigned = client.post("/webhooks/sendgrid", data=body, content_type="application/json")
    assert unsigned.status_code == 403
    assert stored(events_ctx) == [] and not is_suppressed(events_ctx.store, DIRK)


def test_sendgrid_stale_timestamp_is_refused(client, events_ctx, sendgrid_key) -> None:
    answer = sendgrid_post(
        client, sendgrid_key, sendgrid_batch(), timestamp=int(NOW.timestamp()) - 7200
    )
    assert answer.status_code == 403 and stored(events_ctx) == []


# -- Postmark and Brevo (credentials in the URL) ---------------------------------------


def test_postmark_bounce_with_basic_auth(client, events_ctx) -> None:
    body = payload("postmark-bounce.json", SEND_ID=SEND_ID)
    refused = client.post("/webhooks/postmark", data=body, content_type="application/json")
    assert refused.status_code == 401
    wrong = client.post(
        "/webhooks/postmark",
        data=body,
        content_type="application/json",
        auth=("varcomms", "guess"),
    )
    assert wrong.status_code == 401 and stored(events_ctx) == []
    answer = client.post(
        "/webhooks/postmark",
        data=body,
        content_type="application/json",
        auth=("varcomms", SECRETS["VARCOMMS_POSTMARK_WEBHOOK_PASSWORD"]),
    )
    assert answer.status_code == 200
    row = stored(events_ctx)[0]
    assert row["type"] == "bounced" and row["data"]["bounce"] == "hard"
    assert row["send_id"] == SEND_ID and row["data"]["linked"] is True
    assert is_suppressed(events_ctx.store, ANNA)
    again = client.post(
        "/webhooks/postmark",
        data=body,
        content_type="application/json",
        auth=("varcomms", SECRETS["VARCOMMS_POSTMARK_WEBHOOK_PASSWORD"]),
    )
    assert again.json["stored"] == 0 and len(stored(events_ctx)) == 1


def test_brevo_spam_with_token_in_the_url(client, events_ctx) -> None:
    body = payload("brevo-spam.json", MESSAGE_ID=READERS[ANNA], SEND_ID=SEND_ID)
    assert client.post("/webhooks/brevo", data=body).status_code == 401
    token = SECRETS["VARCOMMS_BREVO_WEBHOOK_TOKEN"]
    answer = client.post(f"/webhooks/brevo?token={token}", data=body)
    assert answer.status_code == 200
    row = stored(events_ctx)[0]
    assert row["type"] == "complained" and row["edition_id"] == "2022-01"
    assert status(events_ctx, ANNA) == "complained" and is_suppressed(events_ctx.store, ANNA)
    replay = client.post(f"/webhooks/brevo?token={token}", data=body)
    assert replay.json["stored"] == 0


def test_unknown_provider_and_garbage(client, events_ctx) -> None:
    assert client.post("/webhooks/pigeon", data=b"{}").status_code == 404
    token = SECRETS["VARCOMMS_BREVO_WEBHOOK_TOKEN"]
    assert client.post(f"/webhooks/brevo?token={token}", data=b"not json").status_code == 400
    assert client.get("/webhooks/mailgun").status_code == 405


# -- soft bounces and unsubscribes -----------------------------------------------------


def _mailgun_event(kind: str, email: str, event_id: str, **extra: Any) -> bytes:
    body = json.loads(
        mailgun_body(MAILGUN_KEY, token=event_id * 5, MESSAGE_ID=bare(email), SEND_ID=SEND_ID)
    )
    data = body["event-data"]
    data.update({"event": kind, "id": event_id, "recipient": email, **extra})
    return json.dumps(body).encode()


def test_soft_bounces_suppress_only_past_the_limit(client, events_ctx) -> None:
    limit = events_ctx.config.events.soft_bounce_limit
    for number in range(limit):
        body = _mailgun_event("failed", DIRK, f"soft{number:06d}", severity="temporary")
        assert (
            client.post("/webhooks/mailgun", data=body, content_type="application/json").status_code
            == 200
        )
        suppressed = is_suppressed(events_ctx.store, DIRK)
        assert suppressed == (number + 1 >= limit), f"after {number + 1} soft bounces"
    assert status(events_ctx, DIRK) == "bounced"


def test_provider_unsubscribe_unsubscribes_without_suppressing_the_domain(
    client, events_ctx
) -> None:
    body = _mailgun_event("unsubscribed", CARLA, "unsub00001")
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 200 and answer.json["unsubscribed"] == 1
    assert status(events_ctx, CARLA) == "unsubscribed"
    assert status(events_ctx, ANNA) == "subscribed"


def test_engagement_segments_follow_webhook_events(
    client, events_ctx, sendgrid_key, tmp_path
) -> None:
    from varcomms.audience import count_matching, load_segment

    folder = tmp_path / "audiences"
    folder.mkdir()
    (folder / "lezers.yaml").write_text(
        "name: lezers\nrule:\n  opened: {last_editions: 1}\n", encoding="utf-8"
    )
    paths = events_ctx.config.paths.model_copy(update={"audiences": folder})
    events_ctx.config = events_ctx.config.model_copy(update={"paths": paths})
    segment = load_segment(events_ctx.config, "lezers")
    assert count_matching(events_ctx.store, segment) == 0
    sendgrid_post(client, sendgrid_key, sendgrid_batch())  # anna clicked
    assert count_matching(events_ctx.store, segment) == 1


def test_a_late_event_about_an_erased_person_does_not_bring_them_back(client, events_ctx) -> None:
    from varcomms.audience import list_suppressions
    from varcomms.delivery.erasure import erase

    erase(events_ctx, ANNA)
    body = mailgun_body(MAILGUN_KEY, MESSAGE_ID=bare(ANNA), SEND_ID=SEND_ID)
    answer = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert answer.status_code == 200 and answer.json["stored"] == 1
    row = stored(events_ctx)[0]
    assert row["email"] is None and row["type"] == "bounced"
    assert ANNA not in json.dumps(row, default=str)
    assert [s.value for s in list_suppressions(events_ctx.store) if s.kind == "address"] == []
