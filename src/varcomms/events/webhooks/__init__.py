"""Provider webhooks: one module each, registered by name (the URL's last segment)."""

from __future__ import annotations

from varcomms.events.webhooks.base import (
    WebhookProvider,
    WebhookRejectedError,
    WebhookRequest,
    event_digest,
)
from varcomms.events.webhooks.brevo import BrevoWebhook
from varcomms.events.webhooks.mailgun import MailgunWebhook
from varcomms.events.webhooks.postmark import PostmarkWebhook
from varcomms.events.webhooks.sendgrid import SendgridWebhook

WEBHOOKS: dict[str, type[WebhookProvider]] = {
    cls.name: cls for cls in (MailgunWebhook, SendgridWebhook, PostmarkWebhook, BrevoWebhook)
}

__all__ = [
    "WEBHOOKS",
    "BrevoWebhook",
    "MailgunWebhook",
    "PostmarkWebhook",
    "SendgridWebhook",
    "WebhookProvider",
    "WebhookRejectedError",
    "WebhookRequest",
    "event_digest",
]
