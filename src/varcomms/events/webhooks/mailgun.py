"""Mailgun: one event per POST; the signature travels in the body.

The body is ``{"signature": {"timestamp", "token", "signature"}, "event-data": {…}}``.
The signature is HMAC-SHA256 over timestamp and token (concatenated) with the webhook
signing key; a token is used once, so one seen before is a replay.
"""

from __future__ import annotations

import hashlib
import hmac
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
    "failed": EventType.BOUNCED,
    "opened": EventType.OPENED,
    "clicked": EventType.CLICKED,
    "unsubscribed": EventType.UNSUBSCRIBED,
    "complained": EventType.COMPLAINED,
}


class MailgunWebhook(WebhookProvider):
    name = "mailgun"
    secret_name = "mailgun_webhook_signing_key"  # noqa: S105 - the variable's name, not its value

    def verify(self, request: WebhookRequest, seen: TokenCheck) -> None:
        body = request.json()
        signature = body.get("signature") if isinstance(body, dict) else None
        if not isinstance(signature, dict):
            raise WebhookRejectedError(400, "no signature block")
        timestamp = str(signature.get("timestamp", ""))
        token = str(signature.get("token", ""))
        given = str(signature.get("signature", ""))
        assert self.secret is not None
        expected = hmac.new(
            self.secret.encode(), (timestamp + token).encode(), hashlib.sha256
        ).hexdigest()
        if not token or not hmac.compare_digest(expected, given):
            raise WebhookRejectedError(403, "signature does not match")
        self.check_age(timestamp)
        if not seen(self.name, token):
            raise WebhookRejectedError(403, "token already used (a replay)")

    def parse(self, request: WebhookRequest) -> list[ProviderEvent]:
        data = request.json().get("event-data")
        if not isinstance(data, dict):
            raise WebhookRejectedError(400, "no event-data")
        kind = _TYPES.get(str(data.get("event", "")))
        if kind is None:
            return []  # accepted, stored, …: nothing we keep
        return [self._event(kind, data)]

    def _event(self, kind: EventType, data: dict[str, Any]) -> ProviderEvent:
        message = data.get("message") or {}
        headers = message.get("headers") or {}
        variables = data.get("user-variables") or {}
        status = data.get("delivery-status") or {}
        details: dict[str, Any] = {}
        if kind is EventType.BOUNCED:
            details["bounce"] = "hard" if data.get("severity") == "permanent" else "soft"
            details["code"] = status.get("code")
            details["reason"] = status.get("description") or status.get("message") or ""
        if kind is EventType.CLICKED:
            details["url"] = data.get("url")
        occurred = parse_time(data.get("timestamp")) or self.now
        email = data.get("recipient")
        return ProviderEvent(
            provider=self.name,
            event_id=str(data.get("id") or event_digest(kind, email, data.get("timestamp"))),
            type=kind,
            email=str(email).lower() if email else None,
            occurred_at=occurred,
            message_id=bare_message_id(headers.get("message-id")),
            send_id=variables.get("varcomms-send"),
            edition_id=variables.get("varcomms-edition"),
            data=details,
        )
