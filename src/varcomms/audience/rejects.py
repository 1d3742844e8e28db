"""The rejects file: skipped rows exactly as they were, plus their line and reason.

It is written in the input's own encoding and separator, so whoever made the file can
open it in the same spreadsheet, fix the rows and import the rejects file itself (its
two extra columns are ignored by every mapping).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TextIO

from varcomms.keyfile import open_private

from .csvfile import CsvShape, Record
from .spreadsheet import neutralise


class RejectsFile:
    """The bad rows, as they were, plus line and reason: fix them and import this file."""

    def __init__(self, path: Path, header: list[str], shape: CsvShape, *, enabled: bool) -> None:
        self.path = path
        self.header = header
        self.shape = shape
        self.enabled = enabled
        self.count = 0
        self._stream: TextIO | None = None
        self._writer: Any = None

    def add(self, record: Record, reason: str) -> None:
        self.count += 1
        if not self.enabled:
            return
        if self._writer is None:
            self._stream = open_private(
                self._partial, encoding=self.shape.encoding, errors=self.shape.errors
            )
            self._writer = csv.writer(self._stream, delimiter=self.shape.delimiter)
            self._writer.writerow(
                [neutralise(c) for c in (*self.header, "reject_line", "reject_reason")]
            )
        cells = record.cells + [""] * (len(self.header) - len(record.cells))
        self._writer.writerow([*(neutralise(c) for c in cells), record.line, neutralise(reason)])

    @property
    def _partial(self) -> Path:
        # Written aside and renamed when the import commits: a rolled-back import must
        # not leave a rejects file that suggests only some lines failed.
        return self.path.with_name(f".{self.path.name}.partial")

    def close(self, *, committed: bool) -> None:
        if self._stream is None:
            return
        self._stream.close()
        self._stream = None
        if committed:
            self._partial.replace(self.path)
        else:
            self._partial.unlink(missing_ok=True)


def default_rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")
