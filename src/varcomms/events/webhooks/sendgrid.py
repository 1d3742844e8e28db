"""SendGrid: batches of events as a JSON array, signed with ECDSA (P-256, SHA-256).

The signature (base64, DER) in ``X-Twilio-Email-Event-Webhook-Signature`` covers the
``X-Twilio-Email-Event-Webhook-Timestamp`` header followed by the raw body; the public
verification key is base64 DER (SubjectPublicKeyInfo) as SendGrid's settings show it.
Each event has its own ``sg_event_id``, so a replay inside the window is stored once.
"""

from __future__ import annotations

import base64
import binascii
from functools import cached_property
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

SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
_TYPES = {
    "delivered": EventType.DELIVERED,
    "bounce": EventType.BOUNCED,
    "dropped": EventType.BOUNCED,
    "open": EventType.OPENED,
    "click": EventType.CLICKED,
    "spamreport": EventType.COMPLAINED,
    "unsubscribe": EventType.UNSUBSCRIBED,
    "group_unsubscribe": EventType.UNSUBSCRIBED,
}


class SendgridWebhook(WebhookProvider):
    name = "sendgrid"
    secret_name = "sendgrid_webhook_public_key"  # noqa: S105 - the variable's name, not its value

    @cached_property
    def _key(self) -> Any:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        assert self.secret is not None
        text = self.secret.strip()
        if "BEGIN PUBLIC KEY" in text:
            text = "".join(line for line in text.splitlines() if "-----" not in line)
        try:
            key = load_der_public_key(base64.b64decode(text))
        except (ValueError, binascii.Error) as err:
            raise WebhookRejectedError(
                503, f"the SendGrid verification key is unreadable: {err}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise WebhookRejectedError(503, "the SendGrid verification key is not an EC key")
        return key

    def verify(self, request: WebhookRequest, seen: TokenCheck) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        signature = request.header(SIGNATURE)
        timestamp = request.header(TIMESTAMP)
        if not signature or not timestamp:
            raise WebhookRejectedError(403, "unsigned request")
        try:
            raw = base64.b64decode(signature, validate=True)
            self._key.verify(raw, timestamp.encode() + request.body, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, binascii.Error, ValueError):
            raise WebhookRejectedError(403, "signature does not match") from None
        self.check_age(timestamp)

    def parse(self, request: WebhookRequest) -> list[ProviderEvent]:
        body = request.json()
        if not isinstance(body, list):
            raise WebhookRejectedError(400, "expected a JSON array of events")
        events = []
        for entry in body:
            if not isinstance(entry, dict):
                continue
            kind = _TYPES.get(str(entry.get("event", "")))
            if kind is not None:
                events.append(self._event(kind, entry))
        return events

    def _event(self, kind: EventType, entry: dict[str, Any]) -> ProviderEvent:
        details: dict[str, Any] = {}
        if kind is EventType.BOUNCED:
            # "bounce" of type "blocked", and a "deferred" never reach here as hard; a
            # bounce proper (or a drop for a bounced/invalid address) is permanent.
            blocked = entry.get("type") == "blocked" or entry.get("event") == "deferred"
            details["bounce"] = "soft" if blocked else "hard"
            details["code"] = entry.get("status")
            details["reason"] = entry.get("reason") or entry.get("response") or ""
        if kind is EventType.CLICKED:
            details["url"] = entry.get("url")
        email = entry.get("email")
        # sg_message_id is "<id>.filter…"; the part before the first dot is what the send
        # response's X-Message-Id header gave us.
        provider_id = str(entry.get("sg_message_id") or "").split(".", 1)[0] or None
        return ProviderEvent(
            provider=self.name,
            event_id=str(
                entry.get("sg_event_id")
                or event_digest(kind, email, entry.get("timestamp"), entry.get("sg_message_id"))
            ),
            type=kind,
            email=str(email).lower() if email else None,
            occurred_at=parse_time(entry.get("timestamp")) or self.now,
            message_id=bare_message_id(entry.get("smtp-id")),
            provider_message_id=provider_id,
            send_id=entry.get("varcomms_send"),
            edition_id=entry.get("varcomms_edition"),
            data=details,
        )
