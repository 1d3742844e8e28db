"""One webhook request, start to end: which provider, verify, parse, ingest, answer.

The web layer (a Flask blueprint, or any other) only turns its request into a
:class:`WebhookRequest` and the answer back into HTTP; everything that decides is here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from varcomms.context import Context
from varcomms.events.ingest import IngestReport, ingest
from varcomms.events.replay import remember_token
from varcomms.events.webhooks import WEBHOOKS, WebhookRejectedError, WebhookRequest

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 5 * 1024 * 1024  # SendGrid batches of 1,000 events stay well below


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    status: int
    body: dict[str, Any]


def receive_webhook(ctx: Context, provider: str, request: WebhookRequest) -> WebhookAnswer:
    cls = WEBHOOKS.get(provider)
    if cls is None:
        return WebhookAnswer(404, {"error": "unknown provider"})
    if len(request.body) > MAX_BODY_BYTES:
        return WebhookAnswer(413, {"error": "body too large"})
    settings = ctx.config.events
    now = ctx.clock.now()
    webhook = cls(ctx.secrets, max_age_seconds=settings.webhook_max_age_seconds, now=now)
    keep = timedelta(seconds=2 * settings.webhook_max_age_seconds)

    def seen(name: str, token: str) -> bool:
        return remember_token(ctx.store, name, token, now=now, keep=keep)

    try:
        events = webhook.events(request, seen)
    except WebhookRejectedError as err:
        # The reason, never the body: it holds addresses.
        log.warning("%s webhook refused (%s): %s", provider, err.status, err.reason)
        return WebhookAnswer(err.status, {"error": err.reason})
    report: IngestReport = ingest(ctx, events)
    log.info("%s webhook: %s", provider, report.to_dict())
    return WebhookAnswer(200, {"ok": True, **report.to_dict()})
