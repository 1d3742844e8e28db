"""The outbox provider: one ``.eml`` file per message and an index, nothing leaves.

The embedded default and the dry run. Each message is written to a temporary name and
renamed into place, so a file either is complete or is not there; the file name follows
from the message's Message-ID, so after a crash the outbox can tell exactly which
in-flight messages were written (:meth:`OutboxProvider.reconcile`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from varcomms.config import OutboxSettings
from varcomms.delivery.providers.base import (
    Batch,
    Capabilities,
    InFlight,
    Message,
    Outcome,
    OutcomeStatus,
    Provider,
)

INDEX_NAME = "index.jsonl"


def eml_name(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"


class OutboxProvider(Provider):
    name = "outbox"
    settings_model = OutboxSettings
    capabilities = Capabilities(max_batch=200, reconcile=True, remote=False, utf8_local_part=True)

    def __init__(
        self,
        *args: Any,
        directory: Path | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base = directory or self.ctx.config.resolve(self.settings.outbox.directory)
        self._batch_size = batch_size or self.capabilities.max_batch
        self._lock = threading.Lock()

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def folder(self, edition_id: str) -> Path:
        return self.base / edition_id

    def open(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)

    def send_batch(self, batch: Batch) -> list[Outcome]:
        folder = self.folder(batch.edition_id)
        folder.mkdir(parents=True, exist_ok=True)
        outcomes = []
        index_lines = []
        for message in batch.messages:
            name = eml_name(message.message_id)
            target = folder / name
            temporary = folder / f".{name}.tmp"
            temporary.write_bytes(batch.render_mime(message))
            temporary.replace(target)
            index_lines.append(self._index_line(batch, message, name))
            outcomes.append(Outcome(message.key, OutcomeStatus.SENT, provider_message_id=name))
        with self._lock, (folder / INDEX_NAME).open("a", encoding="utf-8") as index:
            index.writelines(index_lines)
        return outcomes

    def _index_line(self, batch: Batch, message: Message, name: str) -> str:
        record = {
            "file": name,
            "to": message.email,
            "message_id": message.message_id,
            "variant": batch.variant.key,
            "subject": batch.variant.subject,
            "send_id": batch.send_id,
            "test": batch.is_test,
        }
        return json.dumps(record, ensure_ascii=False) + "\n"

    def reconcile(self, rows: Sequence[InFlight]) -> dict[str, Outcome] | None:
        """A complete file means written; none means never written (renames are atomic)."""
        result: dict[str, Outcome] = {}
        unindexed: dict[Path, list[str]] = {}
        indexed: dict[Path, set[str]] = {}
        for row in rows:
            if row.message_id is None:
                return None
            folder = self.folder(row.edition_id)
            name = eml_name(row.message_id)
            if (folder / name).exists():
                result[row.key] = Outcome(row.key, OutcomeStatus.SENT, provider_message_id=name)
                if folder not in indexed:
                    indexed[folder] = {entry["file"] for entry in read_index(folder)}
                if name not in indexed[folder]:
                    # Written, but the process died before the index line: add it now.
                    record = {"file": name, "to": row.email, "message_id": row.message_id}
                    line = json.dumps({**record, "reconciled": True}, ensure_ascii=False)
                    unindexed.setdefault(folder, []).append(line + "\n")
            else:
                result[row.key] = Outcome(row.key, OutcomeStatus.RETRY, error="not in the outbox")
        for folder, lines in unindexed.items():
            with (folder / INDEX_NAME).open("a", encoding="utf-8") as index:
                index.writelines(lines)
        return result


def read_index(folder: Path) -> list[dict[str, Any]]:
    path = folder / INDEX_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
