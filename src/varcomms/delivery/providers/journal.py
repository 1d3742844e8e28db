"""A per-edition journal of SMTP attempts: what an SMTP server cannot tell us later.

SMTP has no way to ask a server about a past message, so the provider writes down, per
message and before the server sees it, that it is starting; then the server's answer.
After a crash :meth:`SendJournal.verdicts` proves three things: a message never started
was never sent; a message answered 250 was accepted; a refusal was a refusal. Only a
message started and never answered stays uncertain. Lines carry our (salted) Message-ID
and a short state, never an address, so the journal holds no personal data.

Each line is flushed as written: a killed process loses nothing the kernel has.
"""

from __future__ import annotations

import threading
from pathlib import Path

STARTED = "start"
ACCEPTED = "sent"
REFUSED = "failed"
NOT_ACCEPTED = "retry"


class SendJournal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def path(self, edition_id: str) -> Path:
        return self.folder / f"{edition_id}.smtp-journal"

    def write(self, edition_id: str, message_id: str, state: str, reason: str = "") -> None:
        line = f"{state}\t{message_id}\t{' '.join(reason.split())}\n"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.path(edition_id).open("a", encoding="utf-8") as journal:
                journal.write(line)

    def verdicts(self, edition_id: str) -> dict[str, tuple[str, str]]:
        """Message-ID -> (last state, reason)."""
        path = self.path(edition_id)
        if not path.exists():
            return {}
        result: dict[str, tuple[str, str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            state, _, rest = line.partition("\t")
            message_id, _, reason = rest.partition("\t")
            if message_id:
                result[message_id] = (state, reason)
        return result
