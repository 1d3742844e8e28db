"""An in-memory provider for tests: the whole pipeline, MIME included, no I/O.

Like Django's ``mail.outbox``: messages land in :attr:`MemoryProvider.sent` (shared
with the module-level :data:`mailbox` when none is given), as parsed-ready bytes.
``refuse`` lets a test make the provider turn down chosen recipients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from varcomms.delivery.providers.base import (
    Batch,
    Capabilities,
    InFlight,
    Message,
    Outcome,
    OutcomeStatus,
    Provider,
)


@dataclass(frozen=True, slots=True)
class SentMessage:
    email: str
    message_id: str
    send_id: str
    variant: str
    raw: bytes


mailbox: list[SentMessage] = []


class MemoryProvider(Provider):
    name = "memory"
    capabilities = Capabilities(max_batch=100, reconcile=True, remote=False, utf8_local_part=True)

    def __init__(
        self,
        *args: Any,
        sent: list[SentMessage] | None = None,
        refuse: Callable[[Message], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sent = mailbox if sent is None else sent
        self.refuse = refuse
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def send_batch(self, batch: Batch) -> list[Outcome]:
        outcomes = []
        with self._lock:
            self.batches.append(len(batch.messages))
            for message in batch.messages:
                reason = self.refuse(message) if self.refuse else None
                if reason:
                    outcomes.append(Outcome(message.key, OutcomeStatus.FAILED, error=reason))
                    continue
                raw = batch.render_mime(message)
                self.sent.append(
                    SentMessage(
                        message.email, message.message_id, batch.send_id, batch.variant.key, raw
                    )
                )
                outcomes.append(
                    Outcome(message.key, OutcomeStatus.SENT, provider_message_id=message.message_id)
                )
        return outcomes

    def reconcile(self, rows: Sequence[InFlight]) -> dict[str, Outcome] | None:
        seen = {message.message_id for message in self.sent}
        return {
            row.key: Outcome(row.key, OutcomeStatus.SENT, provider_message_id=row.message_id)
            if row.message_id in seen
            else Outcome(row.key, OutcomeStatus.RETRY, error="never handed over")
            for row in rows
        }
