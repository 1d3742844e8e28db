"""Postmark: one JSON record per POST, protected by HTTP basic auth on the webhook URL.

Postmark does not sign its webhooks; its documentation offers basic auth credentials
in the URL. ``RecordType`` says what happened; bounces carry ``Type`` (``HardBounce``,
``SoftBounce``, ``Transient``, …) and Postmark's ``ID``.
"""

from __future__ import annotations

from typing import Any

from varcomms.events.model import ProviderEvent
from varcomms.events.webhooks.base import (
    TokenCheck,
    WebhookProvider,
    WebhookRejectedError,
    WebhookRequest,
    event_digest,
    parse_time,
)
from varcomms.models import EventType

# Bounce types that mean the address will not work again.
HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "SpamNotification", "Blocked"}
# Bounce types that are not about delivery at all (auto-replies, address changes, …).
IGNORED = {"AutoResponder", "AddressChange", "Subscribe", "OpenRelayTest", "ChallengeVerification"}


class PostmarkWebhook(WebhookProvider):
    name = "postmark"
    secret_name = "postmark_webhook_password"  # noqa: S105 - the variable's name, not its value

    def verify(self, request: WebhookRequest, seen: TokenCheck) -> None:
        self.check_basic_auth(request)

    def parse(self, request: WebhookRequest) -> list[ProviderEvent]:
        record = request.json()
        if not isinstance(record, dict):
            raise WebhookRejectedError(400, "expected one JSON record")
        kind = str(record.get("RecordType", ""))
        if kind == "Bounce" and record.get("Type") in IGNORED:
            return []
        handlers = {
            "Delivery": (EventType.DELIVERED, "Recipient", "DeliveredAt"),
            "Bounce": (EventType.BOUNCED, "Email", "BouncedAt"),
            "SpamComplaint": (EventType.COMPLAINED, "Email", "BouncedAt"),
            "Open": (EventType.OPENED, "Recipient", "ReceivedAt"),
            "Click": (EventType.CLICKED, "Recipient", "ReceivedAt"),
            "SubscriptionChange": (EventType.UNSUBSCRIBED, "Recipient", "ChangedAt"),
        }
        if kind not in handlers:
            return []
        if kind == "SubscriptionChange" and not record.get("SuppressSending"):
            return []  # a reactivation: nobody is resubscribed by a provider
        event_type, email_field, time_field = handlers[kind]
        return [self._event(event_type, record, email_field, time_field)]

    def _event(
        self, kind: EventType, record: dict[str, Any], email_field: str, time_field: str
    ) -> ProviderEvent:
        details: dict[str, Any] = {}
        if kind is EventType.BOUNCED:
            details["bounce"] = "hard" if record.get("Type") in HARD else "soft"
            details["code"] = record.get("TypeCode")
            details["reason"] = record.get("Details") or record.get("Description") or ""
        if kind is EventType.CLICKED:
            details["url"] = record.get("OriginalLink")
        email = record.get(email_field)
        metadata = record.get("Metadata") or {}
        return ProviderEvent(
            provider=self.name,
            event_id=str(
                record.get("ID")
                or event_digest(kind, record.get("MessageID"), email, record.get(time_field))
            ),
            type=kind,
            email=str(email).lower() if email else None,
            occurred_at=parse_time(record.get(time_field)) or self.now,
            provider_message_id=record.get("MessageID"),
            send_id=metadata.get("varcomms_send"),
            edition_id=metadata.get("varcomms_edition"),
            data=details,
        )
