"""SendGrid v3 Mail Send: one request, up to 1,000 personalizations.

Each personalization is one envelope (one recipient here), with its own substitutions
for the placeholders, its own headers (the personal ``List-Unsubscribe`` and our
``Message-ID``) and ``custom_args`` that come back in event webhooks.
"""

from __future__ import annotations

import html
from typing import Any

import requests

from varcomms.delivery.providers.base import Batch, Capabilities, Message, Outcome, OutcomeStatus
from varcomms.delivery.providers.http import HttpProvider, HttpRequest
from varcomms.models import PERSONAL_FIELDS


def _tag(name: str, kind: str) -> str:
    return f"-varcomms-{name}-{kind}-"


def _tokenise(template: str, kind: str) -> str:
    for name, placeholder in PERSONAL_FIELDS.items():
        template = template.replace(placeholder, _tag(name, kind))
    return template


class SendgridProvider(HttpProvider):
    name = "sendgrid"
    capabilities = Capabilities(max_batch=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sendgrid = self.settings.sendgrid
        self.api_key = self.ctx.secrets.require("sendgrid_api_key", purpose="sending with SendGrid")
        self.url = f"{self.sendgrid.base_url.rstrip('/')}/v3/mail/send"

    @property
    def batch_size(self) -> int:
        return min(self.sendgrid.batch_size, self.capabilities.max_batch)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def _personalization(self, batch: Batch, message: Message) -> dict[str, Any]:
        to: dict[str, str] = {"email": message.email}
        if message.name:
            to["name"] = message.name
        substitutions: dict[str, str] = {}
        for name, value in message.values.items():
            substitutions[_tag(name, "text")] = value
            substitutions[_tag(name, "html")] = html.escape(value)
        headers = dict(message.headers)
        headers["Message-ID"] = message.message_id
        # custom_args per personalization: an object there in the published spec (the
        # message-level one is described as a string), and it comes back in every event.
        custom_args = {"varcomms_send": batch.send_id, "varcomms_edition": batch.edition_id}
        return {
            "to": [to],
            "substitutions": substitutions,
            "headers": headers,
            "custom_args": custom_args,
        }

    def payload(self, batch: Batch) -> dict[str, Any]:
        variant = batch.variant
        body: dict[str, Any] = {
            "personalizations": [self._personalization(batch, m) for m in batch.messages],
            "from": {"email": variant.from_address, "name": variant.from_name},
            "subject": variant.subject,
            # text/plain must come first: SendGrid refuses another order.
            "content": [
                {"type": "text/plain", "value": _tokenise(variant.text, "text")},
                {"type": "text/html", "value": _tokenise(variant.html, "html")},
            ],
            "headers": dict(variant.headers),
            "categories": [f"edition-{batch.edition_id}"] + (["test"] if batch.is_test else []),
        }
        if variant.reply_to:
            body["reply_to"] = {"email": variant.reply_to}
        return body

    def build_request(self, batch: Batch) -> HttpRequest:
        return HttpRequest(url=self.url, json=self.payload(batch))

    def parse_response(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        if response.status_code not in (200, 202):
            return self.refuse_all(batch, response)
        provider_id = response.headers.get("X-Message-Id")
        return [
            Outcome(message.key, OutcomeStatus.SENT, provider_message_id=provider_id)
            for message in batch.messages
        ]
