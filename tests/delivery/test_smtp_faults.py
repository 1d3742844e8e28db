"""SMTP against a real aiosmtpd server that misbehaves: 421 (delivery.md D5), a transient
4xx at MAIL FROM (D9), internationalised addresses (D6, security.md F7), names with
CR/LF (D10) and a login over plain text (F22)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from email import policy
from email.parser import Parser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.delivery.conftest import make_variant, parse, people, with_settings
from tests.delivery.smtp_sink import Sink, free_port
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.delivery.providers import make_provider
from varcomms.errors import ConfigError
from varcomms.models import Recipient
from varcomms.store.schema import deliveries

VARIANTS = {"algemeen": make_variant(paragraphs=2)}


class FaultySink(Sink):
    """421 once to RCPT of "kim.*", 451 once at the third MAIL FROM."""

    def __init__(self) -> None:
        super().__init__()
        self.mails = 0
        self.faults: Counter[str] = Counter()

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mails += 1
        if self.mails == 3:
            self.faults["451"] += 1
            return "451 4.7.1 Sender rate limited, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("kim.") and not self.faults["421"]:
            self.faults["421"] += 1
            return "421 4.7.0 Try again later, closing connection"
        return await super().handle_RCPT(server, session, envelope, address, options)


def serve(ctx: Context, sink: Sink, *, smtputf8: bool = False) -> Controller:
    # aiosmtpd's Controller offers SMTPUTF8 unless told otherwise; many relays do not.
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=smtputf8)
    controller.start()
    with_settings(
        ctx,
        provider__name="smtp",
        provider__smtp__host="127.0.0.1",
        provider__smtp__port=controller.port,
        provider__smtp__security="none",
        provider__smtp__timeout=5.0,
    )
    return controller


@pytest.fixture
def faulty(ctx: Context) -> Iterator[tuple[Context, FaultySink]]:
    sink = FaultySink()
    controller = serve(ctx, sink)
    yield ctx, sink
    controller.stop()


def ledger(ctx: Context) -> dict[str, tuple[str, str | None]]:
    with ctx.store.connect() as db:
        rows = db.execute(select(deliveries.c.email, deliveries.c.state, deliveries.c.error))
        return {r.email: (r.state, r.error) for r in rows}


def test_a_421_and_a_451_at_mail_from_are_retried_and_nobody_is_held(
    faulty: tuple[Context, FaultySink],
) -> None:
    ctx, sink = faulty
    recipients = [
        *people(10),
        Recipient(email="kim.bakker@albrandswaard.example.org", variant="algemeen"),
    ]
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    assert sink.faults == Counter({"421": 1, "451": 1})
    assert (report.sent, report.uncertain, report.failed, report.status) == (11, 0, 0, "finished")
    got = Counter(r.recipients[0] for r in sink.received)
    assert set(got) == {r.email for r in recipients} and max(got.values()) == 1


def test_an_address_with_a_non_ascii_local_part_fails_alone_without_smtputf8(
    faulty: tuple[Context, FaultySink],
) -> None:
    ctx, _sink = faulty
    recipients = [
        Recipient(email="aaa@example.org", variant="algemeen", name="Eerste"),
        Recipient(email="ñoño@example.org", variant="algemeen", name="Ñoño"),
        Recipient(email="zzz@example.org", variant="algemeen"),
    ]
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    assert (report.sent, report.failed) == (2, 1)
    state, reason = ledger(ctx)["ñoño@example.org"]
    assert state == "failed" and "SMTPUTF8" in (reason or "")


def test_smtputf8_and_idn_addresses_go_out_when_the_server_allows(ctx: Context) -> None:
    sink = Sink()
    controller = serve(ctx, sink, smtputf8=True)
    try:
        recipients = [
            Recipient(email="ñoño@example.org", variant="algemeen", name="Ñoño"),
            Recipient(email="jose@bücher.example", variant="algemeen", name="José"),
        ]
        report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    finally:
        controller.stop()
    assert (report.sent, report.failed) == (2, 0)
    # RFC 6532 headers are UTF-8: read them as text (the bytes parser assumes ASCII).
    text = Parser(policy=policy.default)
    by_rcpt = {r.recipients[0]: text.parsestr(r.data.decode("utf-8")) for r in sink.received}
    # The IDN domain goes out in its ASCII form; the EAI address as UTF-8 (RFC 6532).
    assert set(by_rcpt) == {"ñoño@example.org", "jose@xn--bcher-kva.example"}
    assert by_rcpt["ñoño@example.org"]["To"].addresses[0].addr_spec == "ñoño@example.org"
    assert by_rcpt["jose@xn--bcher-kva.example"]["To"].addresses[0].display_name == "José"


def test_a_name_with_cr_lf_can_never_add_a_header_or_a_recipient(
    faulty: tuple[Context, FaultySink],
) -> None:
    ctx, sink = faulty
    evil = Recipient(
        email="jan.crlf@rotterdam.example.org", variant="algemeen", name="Jan\r\nBcc: x@evil.test"
    )
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=[evil])
    assert report.sent == 1
    (received,) = sink.received
    message = parse(received.data)
    assert received.recipients == ["jan.crlf@rotterdam.example.org"]
    assert message["Bcc"] is None
    (to,) = message["To"].addresses
    assert (
        to.addr_spec == "jan.crlf@rotterdam.example.org"
        and to.display_name == "Jan Bcc: x@evil.test"
    )
    assert b"Jan\r\nBcc" not in received.data


def test_a_login_over_plain_text_is_refused_unless_allowed(ctx: Context) -> None:
    from varcomms.config import load_secrets

    ctx.secrets = load_secrets(
        {"VARCOMMS_SIGNING_KEY": "x" * 32, "VARCOMMS_SMTP_PASSWORD": "geheim-wachtwoord"}
    )
    with_settings(ctx, provider__name="smtp", provider__smtp__security="none")
    with_settings(ctx, provider__smtp__username="nieuwsbrief")
    with pytest.raises(ConfigError, match="unencrypted"):
        make_provider(ctx)
    with_settings(ctx, provider__smtp__allow_plaintext_login=True)
    assert make_provider(ctx).name == "smtp"


def test_the_config_file_refuses_a_plain_text_login_too(tmp_path) -> None:
    from tests.conftest import ROOT
    from varcomms.config import load_config

    text = (
        (ROOT / "varcomms.toml")
        .read_text("utf-8")
        .replace('security = "starttls"', 'security = "none"\nusername = "nieuwsbrief"')
    )
    path = tmp_path / "varcomms.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=r"provider\.smtp"):
        load_config(path)


class Killed(BaseException):
    """Stands in for SIGKILL in the middle of a batch."""


def test_a_kill_mid_batch_holds_only_the_message_being_transmitted(
    faulty: tuple[Context, FaultySink], monkeypatch: pytest.MonkeyPatch
) -> None:
    from varcomms.delivery.providers.journal import SendJournal

    ctx, sink = faulty
    sink.mails = 100  # no 451 in this test
    with_settings(ctx, delivery__concurrency=1)
    written = SendJournal.write
    lines: list[str] = []

    def write_then_die(
        self: SendJournal, edition: str, mid: str, state: str, reason: str = ""
    ) -> None:
        written(self, edition, mid, state, reason)
        lines.append(state)
        if len(lines) == 9:  # the 5th message has started; the process dies here
            raise Killed

    monkeypatch.setattr(SendJournal, "write", write_then_die)
    with pytest.raises(Killed):
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(20))
    monkeypatch.setattr(SendJournal, "write", written)
    assert len(sink.received) == 4
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(20), resume=True
    )
    # 4 proven sent by the journal, 15 never started and sent now, 1 held.
    assert (report.reconciled, report.sent, report.uncertain) == (4, 15, 1)
    assert len(sink.received) == 19 and len({r.recipients[0] for r in sink.received}) == 19
    states = Counter(state for state, _ in ledger(ctx).values())
    assert states == Counter({"sent": 19, "uncertain": 1})
