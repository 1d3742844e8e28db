"""One-off mail to one person through the configured provider: confirmations, reminders.

A newsletter send goes through the ledger, batches and variants; a transactional mail is
a single message with no variant and no personal placeholders. It still goes through the
same provider (so the demo's confirmation mail lands in the outbox, and production mail
leaves through the same relay with the same sender). Whether a mail was already sent is
the caller's business: the scheduler keeps its reminders table, the web app its opt-in
state. This module only builds and hands over the message and says what happened.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import TYPE_CHECKING

from varcomms.delivery.mime import MimeTemplate
from varcomms.delivery.providers import (
    Batch,
    Message,
    Outcome,
    OutcomeStatus,
    PreparedVariant,
    Provider,
    make_provider,
)
from varcomms.errors import ProviderError
from varcomms.models import PERSONAL_FIELDS

if TYPE_CHECKING:
    from varcomms.context import Context


@dataclass(frozen=True, slots=True)
class TransactionalMail:
    """A message for one person. ``kind`` names it in the outbox and provider tags."""

    to: str
    subject: str
    text: str
    kind: str  # e.g. "bevestiging", "herinnering": also the outbox folder
    html: str | None = None  # plain text wrapped in <pre>-free paragraphs when absent
    to_name: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


def _html_from_text(text: str) -> str:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = "".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)
    return f'<!doctype html>\n<html lang="nl"><body>\n{body}</body></html>\n'


def build_batch(ctx: Context, mail: TransactionalMail) -> Batch:
    """The one-message batch a provider understands."""
    sender = ctx.config.sender
    from_header = formataddr((sender.from_name, sender.from_address), charset="utf-8")
    html_body = mail.html if mail.html is not None else _html_from_text(mail.text)
    template = MimeTemplate(
        subject=mail.subject,
        from_header=from_header,
        html_body=html_body,
        text_body=mail.text,
        date=ctx.clock.now(),
        reply_to=sender.reply_to,
        extra_headers=[("Auto-Submitted", "auto-generated"), *mail.headers],
    )
    variant = PreparedVariant(
        key=mail.kind,
        subject=mail.subject,
        html=html_body,
        text=mail.text,
        from_name=sender.from_name,
        from_address=sender.from_address,
        reply_to=sender.reply_to,
        headers=[],
        mime=template,
    )
    token = secrets.token_hex(12)
    message = Message(
        key=f"{mail.kind}:{token}",
        email=mail.to,
        to_header=formataddr((mail.to_name or "", mail.to), charset="utf-8"),
        name=mail.to_name,
        message_id=f"<{mail.kind}.{token}@{sender.message_id_domain}>",
        # Content is not personalised; a placeholder-shaped string stays as written.
        values=dict(PERSONAL_FIELDS),
        headers=[],
    )
    return Batch(
        number=0,
        send_id=f"{mail.kind}-{token}",
        edition_id=mail.kind,
        variant=variant,
        messages=[message],
        tags=[mail.kind],
    )


def send_transactional(
    ctx: Context, mail: TransactionalMail, *, provider: Provider | None = None
) -> Outcome:
    """Hand one message to the provider; raises :class:`ProviderError` when refused."""
    own = provider is None
    active = provider or make_provider(ctx)
    if own:
        active.open()
    try:
        outcomes = active.send(build_batch(ctx, mail))
    finally:
        if own:
            active.close()
    outcome = outcomes[0]
    if outcome.status is not OutcomeStatus.SENT:
        raise ProviderError(
            f"{mail.kind} mail to {mail.to} was not accepted: {outcome.error or outcome.status}",
            provider=active.name,
        )
    return outcome
