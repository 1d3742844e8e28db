"""Postmark: ``/email/batch``, up to 500 messages a call, on the Broadcast stream.

Every message in the array is complete (Postmark has no substitution for raw HTML), so
the body is filled per recipient. The answer is HTTP 200 even when single messages are
refused: each array entry carries its own ``ErrorCode`` (0 is success), in request order.
"""

from __future__ import annotations

import html
from typing import Any

import requests

from varcomms.delivery.personalise import fill
from varcomms.delivery.providers.base import (
    Batch,
    Capabilities,
    Message,
    Outcome,
    OutcomeStatus,
    PreparedVariant,
)
from varcomms.delivery.providers.http import HttpProvider, HttpRequest, require_json

# Postmark refuses batch payloads over 50 MB; keep a margin.
MAX_PAYLOAD_BYTES = 45 * 1024 * 1024
# Per-message error codes that mean "not now" rather than "never".
RETRY_CODES = frozenset({429, 100})


class PostmarkProvider(HttpProvider):
    name = "postmark"
    capabilities = Capabilities(max_batch=500, custom_message_id=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.postmark = self.settings.postmark
        self.token = self.ctx.secrets.require(
            "postmark_server_token", purpose="sending with Postmark"
        )
        self.url = f"{self.postmark.base_url.rstrip('/')}/email/batch"

    @property
    def batch_size(self) -> int:
        return min(self.postmark.batch_size, self.capabilities.max_batch)

    def batch_size_for(self, variant: PreparedVariant) -> int:
        # JSON escaping makes bodies somewhat larger than their UTF-8 bytes: keep a margin.
        per_message = int(1.2 * (len(variant.html.encode()) + len(variant.text.encode()))) + 4096
        return max(1, min(self.batch_size, MAX_PAYLOAD_BYTES // per_message))

    def auth_headers(self) -> dict[str, str]:
        return {"X-Postmark-Server-Token": self.token, "Accept": "application/json"}

    def _message(self, batch: Batch, message: Message) -> dict[str, Any]:
        variant = batch.variant
        escaped = {name: html.escape(value) for name, value in message.values.items()}
        entry: dict[str, Any] = {
            "From": variant.from_header,
            "To": message.to_header,
            "Subject": variant.subject,
            "HtmlBody": fill(variant.html, escaped),
            "TextBody": fill(variant.text, message.values),
            "Headers": [
                {"Name": name, "Value": value}
                for name, value in [*variant.headers, *message.headers]
            ],
            "MessageStream": self.postmark.message_stream,
            "Tag": f"edition-{batch.edition_id}",
            "Metadata": {"varcomms_send": batch.send_id, "varcomms_edition": batch.edition_id},
        }
        if variant.reply_to:
            entry["ReplyTo"] = variant.reply_to
        return entry

    def payload(self, batch: Batch) -> list[dict[str, Any]]:
        return [self._message(batch, message) for message in batch.messages]

    def build_request(self, batch: Batch) -> HttpRequest:
        return HttpRequest(url=self.url, json=self.payload(batch))

    def parse_response(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        if response.status_code != 200:
            return self.refuse_all(batch, response)
        results = require_json(response, self.name)
        if not isinstance(results, list):
            return self.refuse_all(batch, response)
        outcomes = []
        # Results come back in request order, one per message.
        for message, result in zip(batch.messages, results, strict=False):
            code = int(result.get("ErrorCode", -1))
            text = str(result.get("Message", ""))
            if code == 0:
                outcomes.append(
                    Outcome(
                        message.key, OutcomeStatus.SENT, provider_message_id=result.get("MessageID")
                    )
                )
            elif code in RETRY_CODES:
                outcomes.append(
                    Outcome(message.key, OutcomeStatus.RETRY, error=f"Postmark {code}: {text}")
                )
            else:
                outcomes.append(
                    Outcome(message.key, OutcomeStatus.FAILED, error=f"Postmark {code}: {text}")
                )
        return outcomes
