"""``import_csv``: validate every row, upsert in batches, report every line.

The rules that keep the store correct however sloppy the file:

* a bad row (address, theme, organisation type, date, …) is skipped with its line
  number and written to a rejects file; it never stops the good rows around it;
* the second occurrence of an address (in any case) is skipped as a duplicate, unless
  it is an opt-out (unsubscribed, bounced, …): then the opt-out wins;
* an address on the suppression list (address, domain or erased) is skipped, unless
  the row itself is an opt-out (then there is nothing to do);
* somebody who unsubscribed, bounced or complained is never made subscribed or pending
  again by an import; the other way round, an opt-out in the file is honoured;
* an opt-out for an address we do not know is kept on the suppression list only, with
  no profile (data minimisation);
* empty cells never blank stored values, so re-running an import changes nothing.

The whole file is one transaction. Memory does not grow with the file: rows are read
and written in batches, and "seen before in this file" lives in a temporary table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Integer, String, Table, bindparam, delete, select, update

from varcomms.addresses import domain_of
from varcomms.context import Context
from varcomms.store.bulk import (
    among,
    insert_rows,
    planner_for_bulk,
    refresh_statistics,
    temporary_table,
)
from varcomms.store.schema import subscriber_themes, subscribers, suppressions

from . import mappings
from .csvfile import CsvReader, Record, inspect_csv, open_text
from .rejects import RejectsFile, default_rejects_path
from .report import ImportOutcome, ImportReport, LineResult
from .rows import Candidate, RowError, RowParser
from .subscribers import INACTIVE, SubscriberRecord, by_emails
from .suppression import (
    ErasureKey,
    Suppression,
    add_address_suppressions,
    erasure_key,
    foreign_hashes,
)
from .suppression import matching as matching_suppressions
from .workbook import file_kind, workbook_as_csv
from .written import remember

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
LineCallback = Callable[["LineResult"], None]
ANALYZE_AFTER = 5000  # rows added or updated


# -- "seen earlier in this file" ------------------------------------------------------------


class _SeenAddresses:
    """Addresses met earlier in the file and their line (held in a temporary table, so
    memory does not grow with the file)."""

    def __init__(self, db: Connection, table: Table) -> None:
        self.db = db
        self.table = table

    def lines(self, emails: list[str]) -> dict[str, int]:
        if not emails:
            return {}
        seen = self.table.c
        rows = self.db.execute(
            select(seen.email, seen.line).where(among(self.db, seen.email, emails))
        )
        return {email: line for email, line in rows}

    def add(self, first_lines: dict[str, int]) -> None:
        insert_rows(self.db, self.table, [{"email": e, "line": n} for e, n in first_lines.items()])


def _seen_table() -> tuple[Column[str], Column[int]]:
    return Column("email", String(320), primary_key=True), Column("line", Integer, nullable=False)


# -- deciding one row -----------------------------------------------------------------------

_PROFILE_FIELDS = (
    "name",
    "first_name",
    "organisation",
    "org_type",
    "municipality",
    "language",
    "consent_source",
    "consent_at",
    "confirmed_at",
)


@dataclass
class _Plan:
    """The writes one batch needs."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    insert_themes: dict[str, frozenset[str]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    update_themes: dict[int, frozenset[str]] = field(default_factory=dict)
    suppressions: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)


class _Importer:
    def __init__(self, ctx: Context, source: str, key: ErasureKey) -> None:
        self.now: datetime = ctx.clock.now()
        self.source = source
        self.key = key
        self.default_language = ctx.config.audience.languages[0]

    def decide(
        self,
        row: Candidate,
        existing: SubscriberRecord | None,
        suppressed: Suppression | None,
        plan: _Plan,
    ) -> tuple[ImportOutcome, str | None, tuple[str, ...]]:
        if suppressed is not None:
            if row.status not in INACTIVE:
                return ImportOutcome.SKIPPED, suppressed.describe(), ()
            if existing is None:
                return ImportOutcome.UNCHANGED, None, ()  # the opt-out is already on the list
        if existing is None:
            return self._new(row, plan)
        return self._existing(row, existing, plan)

    def _new(
        self, row: Candidate, plan: _Plan
    ) -> tuple[ImportOutcome, str | None, tuple[str, ...]]:
        status = row.status or "subscribed"
        if status in INACTIVE:
            plan.suppressions.append((row.email, status))
            return ImportOutcome.ADDED, f"{status}: kept on the suppression list only", ()
        plan.inserts.append(
            {
                "email": row.email,
                "domain": domain_of(row.email),
                "name": row.name,
                "first_name": row.first_name,
                "organisation": row.organisation,
                "org_type": row.org_type or "other",
                "municipality": row.municipality,
                "language": row.language or self.default_language,
                "status": status,
                "consent_source": row.consent_source or self.source,
                "consent_at": row.consent_at,
                "confirmed_at": row.confirmed_at,
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        if row.themes:
            plan.insert_themes[row.email] = row.themes
        return ImportOutcome.ADDED, None, ()

    def _existing(
        self, row: Candidate, existing: SubscriberRecord, plan: _Plan
    ) -> tuple[ImportOutcome, str | None, tuple[str, ...]]:
        status = existing.status
        if row.status is not None and row.status != status:
            if status in INACTIVE and row.status not in INACTIVE:
                return (
                    ImportOutcome.SKIPPED,
                    f"previously {status}; an import never resubscribes",
                    (),
                )
            if row.status in INACTIVE and status not in INACTIVE:
                status = row.status  # an opt-out in the file is honoured
            elif status == "pending" and row.status == "subscribed":
                status = "subscribed"
            # pending over subscribed, or one opt-out kind over another: keep ours
        values: dict[str, Any] = {}
        changes: list[str] = []
        for name in _PROFILE_FIELDS:
            new = getattr(row, name)
            if new is not None and new != getattr(existing, name):
                values[name] = new
                changes.append(name)
        if status != existing.status:
            changes.append("status")
        if row.themes is not None and row.themes != frozenset(existing.themes):
            plan.update_themes[existing.id] = row.themes
            changes.append("themes")
        if not changes:
            return ImportOutcome.UNCHANGED, None, ()
        full = {name: getattr(existing, name) for name in _PROFILE_FIELDS}
        full.update(values)
        plan.updates.append({**full, "status": status, "updated_at": self.now, "_id": existing.id})
        return ImportOutcome.UPDATED, None, tuple(changes)

    # -- writing a batch ------------------------------------------------------------------

    def write(self, db: Connection, plan: _Plan) -> None:
        insert_rows(db, subscribers, plan.inserts)
        if plan.insert_themes:
            ids = db.execute(
                select(subscribers.c.email, subscribers.c.id).where(
                    among(db, subscribers.c.email, plan.insert_themes)
                )
            )
            theme_rows = [
                {"subscriber_id": sid, "theme": theme}
                for email, sid in ids
                for theme in sorted(plan.insert_themes[email])
            ]
            insert_rows(db, subscriber_themes, theme_rows)
        if plan.updates:
            statement = (
                update(subscribers)
                .where(subscribers.c.id == bindparam("_id"))
                .values(
                    {name: bindparam(name) for name in (*_PROFILE_FIELDS, "status", "updated_at")}
                )
            )
            db.execute(statement, plan.updates)
        if plan.update_themes:
            db.execute(
                delete(subscriber_themes).where(
                    among(db, subscriber_themes.c.subscriber_id, plan.update_themes)
                )
            )
            theme_rows = [
                {"subscriber_id": sid, "theme": theme}
                for sid, themes in plan.update_themes.items()
                for theme in sorted(themes)
            ]
            insert_rows(db, subscriber_themes, theme_rows)
        add_address_suppressions(db, plan.suppressions, source=self.source, now=self.now)


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while batch := list(islice(records, size)):
        yield batch


def import_csv(
    ctx: Context,
    path: Path,
    *,
    mapping: str = "auto",
    dry_run: bool = False,
    rejects_path: Path | None = None,
    progress: ProgressCallback | None = None,
    on_line: LineCallback | None = None,
    force: bool = False,
) -> ImportReport:
    """Import subscribers from a CSV file; see the module docstring for the rules.

    ``mapping`` is "auto" (recognise the header), a built-in name (varcomms, mailchimp,
    laposta) or one configured under ``[audience.mappings]``. With ``dry_run`` nothing is
    written — not the database, not the rejects file — but the report is the same.
    An import refuses to run while erasure hashes exist that no available key can check
    (it could re-add an erased person); ``force`` imports anyway and says so.
    """
    path = Path(path)
    options: dict[str, Any] = {
        "mapping": mapping,
        "dry_run": dry_run,
        "rejects_path": rejects_path,
        "progress": progress,
        "on_line": on_line,
        "force": force,
    }
    if file_kind(path) == "xlsx":
        with workbook_as_csv(path) as source:
            report = _import_file(ctx, path, source, **options)
            report.encoding = "Excel workbook, first sheet"
            return report
    return _import_file(ctx, path, path, **options)


def _import_file(
    ctx: Context,
    path: Path,
    source: Path,
    *,
    mapping: str,
    dry_run: bool,
    rejects_path: Path | None,
    progress: ProgressCallback | None,
    on_line: LineCallback | None,
    force: bool,
) -> ImportReport:
    """Import ``source`` (a CSV file); ``path`` is what the person gave (named in reports)."""
    shape = inspect_csv(source)
    config = ctx.config
    key = erasure_key(ctx, strict=not force)
    importer = _Importer(ctx, f"import:{path.name}", key)
    rejects_path = rejects_path or default_rejects_path(path)
    report = ImportReport(
        path=path,
        mapping=mapping,
        dry_run=dry_run,
        encoding=shape.encoding,
        delimiter=shape.delimiter_name,
    )
    if shape.encoding == "cp1252":
        report.notes.append("the file is not UTF-8; it was read as Windows-1252")
    if not dry_run and rejects_path.exists():
        rejects_path.unlink()  # a stale rejects file from an earlier run would mislead
    other_keys = foreign_hashes(ctx.store, key) if force else 0
    if other_keys:
        report.notes.append(
            f"--force: {other_keys} erased address(es) were hashed under a key that is not "
            "available and could not be recognised"
        )

    def emit(outcome: LineResult) -> None:
        report.counts[outcome.outcome] += 1
        if outcome.outcome is ImportOutcome.SKIPPED:
            report.skipped.append(outcome)
        if on_line is not None:
            on_line(outcome)

    with open_text(source, shape) as stream, ctx.store.begin() as db:
        planner_for_bulk(db)  # every batch looks its keys up in an index (store.bulk)
        reader = CsvReader(stream, shape, path)
        bound = mappings.choose(config, mapping, reader.header, path=path)
        report.mapping = bound.name
        if bound.ignored:
            report.notes.append(f"ignored columns: {', '.join(bound.ignored)}")
        parser = RowParser(config, bound)
        rejects = RejectsFile(rejects_path, reader.header, shape, enabled=not dry_run)
        try:
            with temporary_table(db, "varcomms_import_seen", *_seen_table()) as seen_table:
                seen = _SeenAddresses(db, seen_table)
                for batch in _batches(iter(reader), config.audience.batch_size):
                    _import_batch(db, batch, parser, importer, seen, rejects, emit, dry_run=dry_run)
                    if progress is not None:
                        progress(reader.line, shape.lines)
        except BaseException:
            rejects.close(committed=False)
            raise
        db.commit()  # now, so the rejects file appears only with the rows it belongs to
    rejects.close(committed=True)
    if rejects.count and not dry_run:
        report.rejects_path = rejects_path
        remember(ctx.config.data_dir, rejects_path)  # so an erasure can point at it
    changed = report.counts[ImportOutcome.ADDED] + report.counts[ImportOutcome.UPDATED]
    if not dry_run and changed >= ANALYZE_AFTER:
        # Fresh planner statistics, so segment queries use the indexes right away.
        with ctx.store.begin() as db:
            refresh_statistics(db, subscribers, subscriber_themes, suppressions)
    log.info(
        "import of %s (%s mapping%s): %s",
        path.name,
        report.mapping,
        ", dry run" if dry_run else "",
        ", ".join(f"{report.counts[o]} {o.value}" for o in ImportOutcome),
    )
    return report


def _import_batch(
    db: Connection,
    batch: list[Record],
    parser: RowParser,
    importer: _Importer,
    seen: _SeenAddresses,
    rejects: RejectsFile,
    emit: LineCallback,
    *,
    dry_run: bool,
) -> None:
    parsed: list[tuple[Record, Candidate]] = []
    first_lines: dict[str, int] = {}
    outcomes: dict[int, LineResult] = {}
    rejected: list[tuple[Record, str]] = []
    for record in batch:
        if record.problem is not None:
            outcomes[record.line] = LineResult(
                record.line, ImportOutcome.SKIPPED, None, record.problem
            )
            rejected.append((record, record.problem))
            continue
        try:
            row = parser.parse(record.cells)
        except RowError as problem:
            outcomes[record.line] = LineResult(
                record.line, ImportOutcome.SKIPPED, problem.email, problem.reason
            )
            rejected.append((record, problem.reason))
            continue
        parsed.append((record, row))
    earlier = seen.lines(list({row.email for _, row in parsed}))
    accepted: list[tuple[Record, Candidate]] = []
    # A later row that opts the same person out wins over their earlier row: applied
    # after the batch's first rows are written, as an import of its own would be.
    late_opt_outs: list[tuple[Record, Candidate, int]] = []
    for record, row in parsed:
        first = earlier.get(row.email) or first_lines.get(row.email)
        if first is not None and row.status in INACTIVE:
            late_opt_outs.append((record, row, first))
            continue
        if first is not None:
            duplicate = f"duplicate of line {first}"
            outcomes[record.line] = LineResult(
                record.line, ImportOutcome.SKIPPED, row.email, duplicate
            )
            rejected.append((record, duplicate))
            continue
        first_lines[row.email] = record.line
        accepted.append((record, row))
    emails = [row.email for _, row in accepted]
    existing = by_emails(db, emails)
    suppressed = matching_suppressions(db, emails, importer.key)
    plan = _Plan()
    for record, row in accepted:
        outcome, reason, changes = importer.decide(
            row, existing.get(row.email), suppressed.get(row.email), plan
        )
        outcomes[record.line] = LineResult(record.line, outcome, row.email, reason, changes)
        if outcome is ImportOutcome.SKIPPED:
            rejected.append((record, reason or "skipped"))
    if not dry_run:
        importer.write(db, plan)
    if late_opt_outs:
        emails = [row.email for _, row, _ in late_opt_outs]
        existing = by_emails(db, emails)
        suppressed = matching_suppressions(db, emails, importer.key)
        plan = _Plan()
        for record, row, first in late_opt_outs:
            outcome, reason, changes = importer.decide(
                row, existing.get(row.email), suppressed.get(row.email), plan
            )
            note = f"opt-out after line {first}: honoured"
            outcomes[record.line] = LineResult(
                record.line, outcome, row.email, reason or note, changes
            )
        if not dry_run:
            importer.write(db, plan)
    seen.add(first_lines)
    for record, reason in sorted(rejected, key=lambda pair: pair[0].line):
        rejects.add(record, reason)
    for line in sorted(outcomes):
        emit(outcomes[line])


__all__ = ["ImportOutcome", "ImportReport", "LineResult", "import_csv"]
