"""What an import did, line by line: the vocabulary of :func:`import_csv`'s report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class ImportOutcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class LineResult:
    line: int
    outcome: ImportOutcome
    email: str | None = None
    reason: str | None = None
    changes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"line": self.line, "outcome": self.outcome.value}
        if self.email is not None:
            data["email"] = self.email
        if self.reason:
            data["reason"] = self.reason
        if self.changes:
            data["changes"] = list(self.changes)
        return data


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    ``counts`` covers every line; ``skipped`` lists the skipped lines with their reasons.
    Every line's outcome is also passed to ``on_line`` while importing, for callers that
    want all of them without holding them all.
    """

    path: Path
    mapping: str
    dry_run: bool
    encoding: str = "utf-8"
    delimiter: str = ","
    counts: Counter[ImportOutcome] = field(default_factory=Counter)
    skipped: list[LineResult] = field(default_factory=list)
    rejects_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, outcome: ImportOutcome | str) -> int:
        return self.counts[ImportOutcome(outcome)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "mapping": self.mapping,
            "dry_run": self.dry_run,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "counts": {outcome.value: self.counts[outcome] for outcome in ImportOutcome},
            "skipped": [line.to_dict() for line in self.skipped],
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "notes": list(self.notes),
        }
