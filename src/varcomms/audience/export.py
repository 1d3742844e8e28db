"""``export_csv``: subscribers in the native format, the one ``import_csv`` reads back.

Exporting then importing the file changes nothing; that is the round trip the tests hold.
Cells a spreadsheet would run as a formula are written as text (see ``spreadsheet``).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement

from varcomms.keyfile import open_private
from varcomms.store import Store

from .mappings import NATIVE_COLUMNS
from .recipients import iter_records, recipient_condition
from .segments import Segment
from .spreadsheet import neutralise
from .subscribers import SubscriberRecord


def _time(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _row(record: SubscriberRecord) -> list[str]:
    return [
        record.email,
        record.name or "",
        record.first_name or "",
        record.organisation or "",
        record.org_type,
        record.municipality or "",
        "|".join(record.themes),
        record.language,
        record.status,
        record.consent_source or "",
        _time(record.consent_at),
        _time(record.confirmed_at),
    ]


def export_csv(
    store: Store,
    destination: Path | TextIO,
    *,
    segment: Segment | None = None,
    recipients_only: bool = False,
) -> int:
    """Write subscribers as CSV; returns how many.

    Without ``recipients_only`` every subscriber the segment's rule matches is written,
    whatever their status (an export is also a backup); with it, exactly the people a
    send would reach. Erased people are not subscribers and never appear.
    """
    if recipients_only:
        condition = recipient_condition(segment)
    else:
        condition = segment.where() if segment is not None else true()
    if isinstance(destination, Path):
        with open_private(destination, encoding="utf-8") as stream:
            return _write(store, stream, condition)
    return _write(store, destination, condition)


def _write(store: Store, stream: TextIO, condition: ColumnElement[bool]) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(NATIVE_COLUMNS)
    written = 0
    for record in iter_records(store, condition):
        writer.writerow([neutralise(cell) for cell in _row(record)])
        written += 1
    return written
