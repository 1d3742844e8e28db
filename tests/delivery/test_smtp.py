"""The SMTP provider against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.delivery.conftest import make_variant, parse, people, with_settings
from tests.delivery.smtp_sink import Sink, free_port, start
from varcomms.config import load_secrets
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.errors import ConfigError, ProviderError
from varcomms.models import Recipient
from varcomms.store.schema import deliveries

VARIANTS = {"algemeen": make_variant()}


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def server(ctx: Context, sink: Sink) -> Iterator[Context]:
    controller = start(sink)
    with_settings(
        ctx,
        provider__name="smtp",
        provider__smtp__host="127.0.0.1",
        provider__smtp__port=controller.port,
        provider__smtp__security="none",
        provider__smtp__timeout=5.0,
    )
    yield ctx
    controller.stop()


def test_every_recipient_gets_one_message_over_smtp(server: Context, sink: Sink) -> None:
    recipients = people(45)
    report = deliver(server, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    assert report.sent == 45 and report.failed == 0
    assert sorted(r.recipients[0] for r in sink.received) == sorted(r.email for r in recipients)
    for received in sink.received:
        assert len(received.recipients) == 1
        assert received.sender == "nieuwsbrief@veiligheidsalliantie.nl"
        message = parse(received.data)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert str(message["List-Unsubscribe"]).count("<") == 2
        assert message["To"].addresses[0].addr_spec == received.recipients[0]
        text = next(message.iter_parts()).get_content()
        assert "Afmelden: https://" in text
        others = {r.email for r in recipients} - set(received.recipients)
        assert not any(other.encode() in received.data for other in others)


def test_refusals_are_recorded_and_deferrals_retried(server: Context, sink: Sink) -> None:
    recipients = [
        *people(3),
        Recipient(email="weiger@example.org", variant="algemeen"),
        Recipient(email="later@example.org", variant="algemeen"),
    ]
    report = deliver(server, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    assert (report.sent, report.failed) == (4, 1)
    assert report.failures == [("weiger@example.org", "SMTP 550: 5.1.1 mailbox unavailable")]
    assert sink.deferred["later@example.org"] == 1
    assert [r.recipients for r in sink.received].count(["later@example.org"]) == 1
    with server.store.connect() as db:
        states = dict(db.execute(select(deliveries.c.email, deliveries.c.state)).all())
    assert states["weiger@example.org"] == "failed" and states["later@example.org"] == "sent"


def test_unreachable_server_is_reported_before_any_message(ctx: Context) -> None:
    with_settings(
        ctx,
        provider__name="smtp",
        provider__smtp__host="127.0.0.1",
        provider__smtp__port=free_port(),  # nobody listens
        provider__smtp__security="none",
    )
    with pytest.raises(ProviderError, match=r"cannot reach 127\.0\.0\.1") as info:
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
    assert "provider.smtp" in (info.value.hint or "")
    with ctx.store.connect() as db:
        assert db.execute(select(deliveries)).first() is None


def test_login_with_the_password_from_the_environment(ctx: Context, sink: Sink) -> None:
    controller = start(sink, user="nieuwsbrief", password="geheim-wachtwoord")
    try:
        with_settings(
            ctx,
            provider__name="smtp",
            provider__smtp__host="127.0.0.1",
            provider__smtp__port=controller.port,
            provider__smtp__security="none",
            provider__smtp__username="nieuwsbrief",
            provider__smtp__allow_plaintext_login=True,  # loopback sink without TLS
        )
        with pytest.raises(ConfigError, match="VARCOMMS_SMTP_PASSWORD"):
            deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(1))
        base = {"VARCOMMS_SIGNING_KEY": "k" * 20}
        ctx.secrets = load_secrets({**base, "VARCOMMS_SMTP_PASSWORD": "fout"})
        with pytest.raises(ProviderError, match="login as nieuwsbrief refused"):
            deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(1))
        ctx.secrets = load_secrets({**base, "VARCOMMS_SMTP_PASSWORD": "geheim-wachtwoord"})
        report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(2))
        assert report.sent == 2 and len(sink.received) == 2
    finally:
        controller.stop()
