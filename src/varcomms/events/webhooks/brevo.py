"""Brevo: one JSON event per POST; its documentation offers basic auth or a token.

Events are named ``delivered``, ``hard_bounce``, ``soft_bounce``, ``spam``, ``opened``
(and ``unique_opened``), ``click``, ``unsubscribed``; ``message-id`` is our Message-ID
as sent, ``ts_epoch`` the time in milliseconds.
"""

from __future__ import annotations

from typing import Any

from varcomms.events.model import ProviderEvent
from varcomms.events.webhooks.base import (
    TokenCheck,
    WebhookProvider,
    WebhookRejectedError,
    WebhookRequest,
    bare_message_id,
    event_digest,
    parse_time,
)
from varcomms.models import EventType

_TYPES = {
    "delivered": EventType.DELIVERED,
    "hard_bounce": EventType.BOUNCED,
    "soft_bounce": EventType.BOUNCED,
    "invalid_email": EventType.BOUNCED,
    "spam": EventType.COMPLAINED,
    "opened": EventType.OPENED,
    "unique_opened": EventType.OPENED,
    "click": EventType.CLICKED,
    "unsubscribed": EventType.UNSUBSCRIBED,
}


class BrevoWebhook(WebhookProvider):
    name = "brevo"
    secret_name = "brevo_webhook_token"  # noqa: S105 - the variable's name, not its value

    def verify(self, request: WebhookRequest, seen: TokenCheck) -> None:
        bearer = request.header("Authorization") or ""
        if bearer.lower().startswith("bearer "):
            request = WebhookRequest(
                body=request.body,
                headers=request.headers,
                authorization=("", bearer[7:].strip()),
                query=request.query,
            )
        self.check_basic_auth(request)

    def parse(self, request: WebhookRequest) -> list[ProviderEvent]:
        body = request.json()
        records = body if isinstance(body, list) else [body]
        events = []
        for record in records:
            if not isinstance(record, dict):
                raise WebhookRejectedError(400, "expected a JSON event")
            kind = _TYPES.get(str(record.get("event", "")))
            if kind is not None:
                events.append(self._event(kind, record))
        return events

    def _event(self, kind: EventType, record: dict[str, Any]) -> ProviderEvent:
        details: dict[str, Any] = {}
        name = str(record.get("event"))
        if kind is EventType.BOUNCED:
            details["bounce"] = "soft" if name == "soft_bounce" else "hard"
            details["reason"] = record.get("reason") or ""
        if kind is EventType.CLICKED:
            details["url"] = record.get("link")
        millis = record.get("ts_epoch")
        occurred = (
            parse_time(float(millis) / 1000) if millis else parse_time(record.get("ts_event"))
        )
        email = record.get("email")
        tags = record.get("tags") or []
        edition = next((t[8:] for t in tags if str(t).startswith("edition-")), None)
        send = next((t[5:] for t in tags if str(t).startswith("send-")), None)
        return ProviderEvent(
            provider=self.name,
            event_id=event_digest(
                name, record.get("message-id"), email, millis or record.get("ts_event")
            ),
            type=kind,
            email=str(email).lower() if email else None,
            occurred_at=occurred or self.now,
            message_id=bare_message_id(record.get("message-id")),
            send_id=send,
            edition_id=edition,
            data=details,
        )
