"""What a collect run did, per source and in total (printed by the CLI, kept by callers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SourceStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not-modified"  # HTTP 304: nothing changed since the last run
    WARNING = "warning"  # items landed, but something was left out or is suspicious
    FAILED = "failed"  # nothing landed; ``message`` says why
    # The server asked to come back later than collect waits (Retry-After past the cap);
    # nothing landed, nothing is wrong: the next run fetches it.
    DEFERRED = "deferred"


@dataclass
class SourceReport:
    name: str
    kind: str
    status: SourceStatus
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    message: str | None = None
    hint: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ignored_total(self) -> int:
        return sum(self.ignored.values())

    @property
    def note(self) -> str:
        """One line for a table: the error, else the first warning, else what was left out."""
        if self.message:
            return self.message
        parts = []
        if self.warnings:
            more = f" (+{len(self.warnings) - 1} more)" if len(self.warnings) > 1 else ""
            parts.append(self.warnings[0] + more)
        if self.ignored:
            parts.append(
                "left out: " + ", ".join(f"{n} {why}" for why, n in sorted(self.ignored.items()))
            )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class CollectReport:
    started: datetime
    sources: list[SourceReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sources)

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.sources)

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status is SourceStatus.FAILED]

    @property
    def deferred(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status is SourceStatus.DEFERRED]

    @property
    def ok(self) -> bool:
        return not self.failed

    def source(self, name: str) -> SourceReport:
        for report in self.sources:
            if report.name == name:
                return report
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(),
            "seconds": round(self.seconds, 3),
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "deferred": len(self.deferred),
            "sources": [s.to_dict() for s in self.sources],
        }
