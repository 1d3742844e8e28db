"""Bounce reports (RFC 3464 delivery status notifications) as events.

The SMTP provider has no webhooks: receiving servers mail a report back instead. A
report is ``multipart/report; report-type=delivery-status`` with a machine-readable
``message/delivery-status`` part (one block per recipient: ``Final-Recipient``,
``Action``, ``Status``, ``Diagnostic-Code``) and usually the original message or its
headers, whose Message-ID ties the bounce to our ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime
from typing import Any

from varcomms.events.model import ProviderEvent
from varcomms.events.webhooks.base import bare_message_id, event_digest
from varcomms.models import EventType

PROVIDER = "dsn"


class NotABounceError(ValueError):
    """The message is not a delivery status notification (an auto-reply, a person)."""


def parse_dsn(raw: bytes, *, received: datetime) -> list[ProviderEvent]:
    """The failed and delayed recipients of one report; NotABounceError otherwise."""
    message = message_from_bytes(raw, policy=policy.default)
    if message.get_content_type() != "multipart/report":
        raise NotABounceError("not a multipart/report")
    if str(message.get_param("report-type", "")).lower() != "delivery-status":
        raise NotABounceError("a report, but not of delivery status")
    blocks: list[Message] = []
    original_id: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks.extend(_status_blocks(part))
        elif kind in ("message/rfc822", "text/rfc822-headers") and original_id is None:
            original_id = _original_message_id(part)
    if not blocks:
        raise NotABounceError("no delivery-status part")
    occurred = _date(message) or received
    report_id = bare_message_id(message.get("Message-ID")) or event_digest(raw[:4096])
    events = []
    for block in blocks[1:] or blocks:  # the first block is about the reporting server
        event = _event(block, report_id, original_id, occurred)
        if event is not None:
            events.append(event)
    return events


def _decoded(part: Message) -> bytes:
    """A non-multipart part's body as bytes (empty when there is none)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses the blocks as messages
        return [block for block in payload if isinstance(block, Message)]
    text = _decoded(part)
    return [
        message_from_bytes(chunk.strip() + b"\n", policy=policy.compat32)
        for chunk in text.replace(b"\r\n", b"\n").split(b"\n\n")
        if chunk.strip()
    ]


def _original_message_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return bare_message_id(payload[0].get("Message-ID"))
    text = _decoded(part)
    headers = message_from_bytes(text, policy=policy.compat32)
    return bare_message_id(headers.get("Message-ID"))


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value else ""


def _address(value: str) -> str | None:
    kind, _, address = value.partition(";")
    address = (address if _ else kind).strip().strip("<>")
    return address.lower() if "@" in address else None


def _event(
    block: Message, report_id: str, original_id: str | None, occurred: datetime
) -> ProviderEvent | None:
    email = _address(_field(block, "Final-Recipient") or _field(block, "Original-Recipient"))
    action = _field(block, "Action").lower()
    status = _field(block, "Status")
    if email is None or action not in ("failed", "delayed"):
        return None  # delivered, relayed, expanded: not a bounce
    hard = action == "failed" and status.startswith("5")
    details: dict[str, Any] = {
        "bounce": "hard" if hard else "soft",
        "code": status or None,
        "reason": _field(block, "Diagnostic-Code").partition(";")[2].strip()
        or _field(block, "Diagnostic-Code"),
    }
    return ProviderEvent(
        provider=PROVIDER,
        event_id=event_digest(report_id, email, action, status),
        type=EventType.BOUNCED,
        email=email,
        occurred_at=occurred,
        message_id=original_id,
        data=details,
    )


def _date(message: EmailMessage | Message) -> datetime | None:
    value = message.get("Date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
