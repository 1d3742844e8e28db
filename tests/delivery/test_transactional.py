"""One-off mails (confirmations, reminders) go through the configured provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from varcomms.context import Context
from varcomms.delivery.providers.memory import MemoryProvider, SentMessage
from varcomms.delivery.providers.outbox import read_index
from varcomms.delivery.transactional import TransactionalMail, send_transactional
from varcomms.errors import ProviderError
from varcomms.models import PERSONAL_FIELDS

from .conftest import parse

MAIL = TransactionalMail(
    to="redactie@example.org",
    to_name="Redactie <VAR>",
    subject="Herinnering: 2022-05 is nog niet goedgekeurd",
    text="Beste redactie,\n\n2022-05 staat gepland voor dinsdag 09:00.\n\n<b>niet vet</b>",
    kind="herinnering",
)


def test_a_transactional_mail_is_one_message_with_text_and_escaped_html(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    send_transactional(ctx, MAIL, provider=memory)
    assert [m.email for m in sent] == ["redactie@example.org"]
    message = parse(sent[0].raw)
    assert message["Subject"] == MAIL.subject
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["To"].addresses[0].display_name == "Redactie <VAR>"
    assert "2022-05 staat gepland" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;niet vet&lt;/b&gt;" in html and "<b>" not in html


def test_placeholder_shaped_text_is_left_as_written(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    placeholder = PERSONAL_FIELDS["unsubscribe_url"]
    mail = TransactionalMail(to="a@example.org", subject="x", text=placeholder, kind="test")
    send_transactional(ctx, mail, provider=memory)
    assert placeholder in parse(sent[0].raw).get_body(("plain",)).get_content()


def test_the_configured_outbox_receives_it_in_a_folder_of_its_kind(
    ctx: Context, tmp_path: Path
) -> None:
    send_transactional(ctx, MAIL)
    entries = read_index(tmp_path / "outbox" / "herinnering")
    assert [entry["to"] for entry in entries] == ["redactie@example.org"]


def test_a_refusal_is_an_error_naming_the_recipient(ctx: Context, sent: list[SentMessage]) -> None:
    refusing = MemoryProvider(ctx, sent=sent, refuse=lambda message: "mailbox unknown")
    with pytest.raises(ProviderError, match=r"redactie@example\.org"):
        send_transactional(ctx, MAIL, provider=refusing)
    assert sent == []
