"""What a send reports when it ends, and what ``send status`` shows at any time."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MAX_LISTED_FAILURES = 50


@dataclass
class SendReport:
    send_id: str
    edition_id: str
    provider: str
    is_test: bool = False
    dry_run: bool = False
    resumed: bool = False
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    # Accepted, refused or suppressed in an earlier run of this send: skipped now.
    already_done: int = 0
    # In flight at a crash, settled by asking the provider.
    reconciled: int = 0
    # Fate unknown and held by policy: the editor decides (see `send status`).
    uncertain: int = 0
    # Not accepted after all retries; still pending, sent on --resume.
    deferred: int = 0
    duplicates: int = 0
    per_variant: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    paused: bool = False
    pause_reason: str | None = None
    status: str = "running"
    outbox: Path | None = None

    def add_failure(self, email: str, reason: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append((email, reason))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_variant"] = dict(self.per_variant)
        data["failures"] = [{"email": e, "reason": r} for e, r in self.failures]
        data["outbox"] = str(self.outbox) if self.outbox else None
        return data


@dataclass
class SendSummary:
    """Before sending: what is about to happen (the CLI asks for confirmation on it)."""

    edition_id: str
    provider: str
    rate_per_second: float | None
    rate_unit: str = "messages"
    per_variant: Counter[str] = field(default_factory=Counter)
    suppressed: int = 0
    already_done: int = 0
    is_test: bool = False

    @property
    def recipients(self) -> int:
        return sum(self.per_variant.values())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_variant"] = dict(self.per_variant)
        data["recipients"] = self.recipients
        return data


@dataclass
class SendStatus:
    edition_id: str
    sends: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    per_variant: dict[str, dict[str, int]] = field(default_factory=dict)
    in_flight: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    # Every held row (email, reason): never capped.
    uncertain: list[dict[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.states.values())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"] = self.total
        return data
