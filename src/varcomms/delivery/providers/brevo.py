"""Brevo transactional API: ``/v3/smtp/email``, with an idempotency key.

Two shapes. With ``batch_size = 1`` each request is one complete personal message whose
``headers`` carry the personal ``List-Unsubscribe`` and an ``idempotencyKey`` derived from
the send and the recipient: re-posting after a crash or timeout (within Brevo's 15-minute
window) never delivers twice. With a larger batch size, requests use ``messageVersions``
(up to 1,000 versions, ``{{ params.NAME }}`` substitution); Brevo applies ``headers`` to
every version alike, so that shape cannot carry per-recipient headers and a send that
needs them is refused at start.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import requests

from varcomms.delivery.personalise import fill
from varcomms.delivery.providers.base import (
    Batch,
    Capabilities,
    InFlight,
    Message,
    Outcome,
    OutcomeStatus,
)
from varcomms.delivery.providers.http import HttpProvider, HttpRequest, require_json
from varcomms.models import PERSONAL_FIELDS

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c4f62-0a57-4c55-9d0e-5b1f0f6a3e21")
# Brevo keeps an idempotency key for 15 minutes (documented; some pages say 30).
IDEMPOTENCY_TTL = timedelta(minutes=15)


def idempotency_key(send_id: str, keys: Sequence[str]) -> str:
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{send_id}\x00" + "\x00".join(sorted(keys))))


def _params_template(template: str, suffix: str) -> str:
    for name, placeholder in PERSONAL_FIELDS.items():
        template = template.replace(placeholder, f"{{{{ params.{name}{suffix} }}}}")
    return template


class BrevoProvider(HttpProvider):
    name = "brevo"
    capabilities = Capabilities(max_batch=1000, custom_message_id=False, idempotency=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.brevo = self.settings.brevo
        self.api_key = self.ctx.secrets.require("brevo_api_key", purpose="sending with Brevo")
        self.url = f"{self.brevo.base_url.rstrip('/')}/v3/smtp/email"

    @property
    def batch_size(self) -> int:
        return min(self.brevo.batch_size, self.capabilities.max_batch)

    @property
    def single(self) -> bool:
        return self.batch_size == 1

    @property
    def effective_capabilities(self) -> Capabilities:
        if self.single:
            return Capabilities(
                max_batch=1, custom_message_id=False, idempotency=True, reconcile=True
            )
        return Capabilities(
            max_batch=self.batch_size,
            per_recipient_headers=False,
            custom_message_id=False,
            idempotency=True,
        )

    capability_hint = (
        "Brevo's messageVersions share one set of headers; set provider.brevo.batch_size = 1 "
        "to send each message with its own List-Unsubscribe header"
    )

    def auth_headers(self) -> dict[str, str]:
        return {"api-key": self.api_key, "Accept": "application/json"}

    def _common(self, batch: Batch) -> dict[str, Any]:
        variant = batch.variant
        body: dict[str, Any] = {
            "sender": {"name": variant.from_name, "email": variant.from_address},
            "subject": variant.subject,
            "tags": [f"edition-{batch.edition_id}", f"send-{batch.send_id}"]
            + (["test"] if batch.is_test else []),
        }
        if variant.reply_to:
            body["replyTo"] = {"email": variant.reply_to}
        return body

    @staticmethod
    def _to(message: Message) -> dict[str, str]:
        to = {"email": message.email}
        if message.name:
            to["name"] = message.name
        return to

    def payload(self, batch: Batch) -> dict[str, Any]:
        variant = batch.variant
        body = self._common(batch)
        headers = dict(variant.headers)
        headers["X-Varcomms-Send"] = batch.send_id
        headers["idempotencyKey"] = idempotency_key(batch.send_id, [m.key for m in batch.messages])
        if self.single:
            message = batch.messages[0]
            escaped = {name: html.escape(value) for name, value in message.values.items()}
            body["to"] = [self._to(message)]
            body["htmlContent"] = fill(variant.html, escaped)
            body["textContent"] = fill(variant.text, message.values)
            headers.update(message.headers)
        else:
            body["htmlContent"] = _params_template(variant.html, "_html")
            body["textContent"] = _params_template(variant.text, "")
            versions = []
            for message in batch.messages:
                params: dict[str, str] = {}
                for name, value in message.values.items():
                    params[name] = value
                    params[f"{name}_html"] = html.escape(value)
                versions.append({"to": [self._to(message)], "params": params})
            body["messageVersions"] = versions
        body["headers"] = headers
        return body

    def build_request(self, batch: Batch) -> HttpRequest:
        return HttpRequest(url=self.url, json=self.payload(batch))

    def parse_response(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        if response.status_code not in (200, 201, 202):
            return self.refuse_all(batch, response)
        body = require_json(response, self.name)
        ids = body.get("messageIds") or ([body["messageId"]] if "messageId" in body else [])
        outcomes = []
        for index, message in enumerate(batch.messages):
            provider_id = ids[index] if index < len(ids) else (ids[0] if ids else None)
            outcomes.append(
                Outcome(message.key, OutcomeStatus.SENT, provider_message_id=provider_id)
            )
        return outcomes

    def reconcile(self, rows: Sequence[InFlight]) -> dict[str, Outcome] | None:
        """Within the key's lifetime a re-post is harmless: Brevo drops the duplicate."""
        if not self.single:
            return None
        now = self.clock.now()
        if any(row.updated_at is None or now - row.updated_at > IDEMPOTENCY_TTL for row in rows):
            return None
        return {
            row.key: Outcome(
                row.key, OutcomeStatus.RETRY, error="re-posted under its idempotency key"
            )
            for row in rows
        }
