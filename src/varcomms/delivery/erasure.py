"""Erasing one person everywhere the tool wrote: database, send ledger and outbox files.

The audience stage erases the profile, the suppression entry and the event log
(:func:`varcomms.audience.erase_profile`); this module adds what delivery wrote, in the
same transaction: ledger rows lose the address, the Message-IDs and the provider's ids
(each row gets a random token, so erased rows cannot be linked to each other or to the
erasure hash), and the outbox's ``.eml`` files and index lines of the person are removed.
Files the tool cannot own (rejects files, exports, backups) are searched for where the
tool writes them by default and listed, never changed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, func, or_, select, update

from varcomms.addresses import fold
from varcomms.audience import (
    EraseReport,
    ErasureTarget,
    erase_profile,
    erasure_key,
    erasure_target,
    scrub,
)
from varcomms.audience.privacy import might_hold
from varcomms.audience.written import REGISTER, remembered
from varcomms.context import Context
from varcomms.delivery.providers.outbox import INDEX_NAME
from varcomms.store.schema import deliveries, items, sends

log = logging.getLogger(__name__)

# Files under data/ that are the tool's own state, not copies of personal data in files.
_STATE_FILES = {"erasure.key", "demo-signing.key", REGISTER}
_READ_LIMIT = 64 << 20  # a larger file is listed as unchecked rather than read whole
BEYOND_REACH = (
    "not reached: files the tool did not write or that were moved since (copies of exports, "
    "the spreadsheets imports came from), backups, PostgreSQL row versions not yet vacuumed, "
    "and the messages already in the recipient's mailbox or in the provider's logs"
)


def erase(ctx: Context, email: str) -> EraseReport:
    """Erase one person, given by exactly one valid address; see the module docstring.

    Safe to repeat. Refuses a fragment or anything else that is not one address before
    anything changes.
    """
    target = erasure_target(email)
    key = erasure_key(ctx, strict=False)
    with ctx.store.begin() as db:
        report = erase_profile(db, target, key, now=ctx.clock.now())
        report.add("deliveries", erase_ledger(db, target, report.subscriber_id))
        report.add("sends", _scrub_send_notes(db, target))
        in_content = db.execute(
            select(func.count())
            .select_from(items)
            .where(or_(might_hold(items.c.title, target), might_hold(items.c.summary_html, target)))
        ).scalar_one()
    if ctx.store.dialect == "sqlite":
        _checkpoint(ctx)
    outbox = ctx.config.resolve(ctx.config.provider.outbox.directory)
    erase_outbox(outbox, target, report)
    folders = [ctx.config.data_dir, ctx.config.audiences_dir]
    report.not_reached.extend(_files_holding(target, _files_in(folders, skip=outbox)))
    # Exports and rejects files the tool wrote elsewhere, at the operator's request.
    elsewhere = [p for p in remembered(ctx.config.data_dir) if not _inside(p, folders)]
    report.not_reached.extend(_files_holding(target, elsewhere))
    if in_content:
        report.notes.append(
            f"the address appears in the text of {in_content} collected item(s); published "
            "content is not erased (edit the items if it must go)"
        )
    report.notes.append(BEYOND_REACH)
    log.info("erased one person: %s row(s) and file(s) changed", report.total)
    return report


def erase_ledger(db: Connection, target: ErasureTarget, subscriber_id: int | None) -> int:
    """Take the person out of the send ledger; rows (and so the counts) stay."""
    pattern = target.pattern
    mine: ColumnElement[bool] = func.lower(deliveries.c.email).in_(target.forms)
    if subscriber_id is not None:
        mine = or_(mine, deliveries.c.subscriber_id == subscriber_id)
    changed = 0
    rows = db.execute(
        select(deliveries.c.id, deliveries.c.error, mine.label("mine")).where(
            or_(mine, might_hold(deliveries.c.error, target))
        )
    ).all()
    for row in rows:
        values: dict[str, object] = {}
        if row.mine:
            # A random token per row: unique (the one-per-edition rule holds), and it links
            # the row to nothing — not to the person's other rows, not to the erasure hash.
            token = "erased:" + secrets.token_hex(12)
            values.update(
                email=token,
                recipient_key=token,
                subscriber_id=None,
                message_id=None,
                provider_message_id=None,
            )
        if row.error:
            error = scrub(row.error, pattern)
            if error != row.error:
                values["error"] = error
        if values:
            db.execute(update(deliveries).where(deliveries.c.id == row.id).values(values))
            changed += 1
    return changed


def _scrub_send_notes(db: Connection, target: ErasureTarget) -> int:
    """A send's note may quote an error that named the person."""
    changed = 0
    rows = db.execute(select(sends.c.id, sends.c.note).where(might_hold(sends.c.note, target)))
    for row in rows.all():
        note = scrub(row.note, target.pattern)
        if note != row.note:
            db.execute(update(sends).where(sends.c.id == row.id).values(note=note))
            changed += 1
    return changed


def erase_outbox(outbox: Path, target: ErasureTarget, report: EraseReport) -> None:
    """Remove the person's messages (dry runs and test sends too) and their index lines."""
    if not outbox.is_dir():
        return
    pattern = target.pattern
    for index in sorted(outbox.rglob(INDEX_NAME)):
        kept: list[str] = []
        dropped = 0
        for line in index.read_text(encoding="utf-8").splitlines(keepends=True):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if pattern.search(line) or (isinstance(entry, dict) and _is_target(entry, target)):
                dropped += 1
                name = entry.get("file") if isinstance(entry, dict) else None
                if isinstance(name, str) and "/" not in name and (index.parent / name).exists():
                    (index.parent / name).unlink()
                    report.files_removed.append(str(index.parent / name))
            else:
                kept.append(line)
        if dropped:
            _rewrite(index, "".join(kept))
            report.files_redacted.append(str(index))
    # Messages without an index line (a crash between file and index) are found by content.
    for path in _files(outbox):
        if path.name == INDEX_NAME:
            continue
        text = _read(path)
        if text is not None and pattern.search(text):
            path.unlink()
            report.files_removed.append(str(path))


def _is_target(entry: dict[str, object], target: ErasureTarget) -> bool:
    to = entry.get("to")
    return isinstance(to, str) and fold(to) in target.forms


def _rewrite(path: Path, content: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(content)
    temporary.replace(path)


def _files(folder: Path) -> Iterator[Path]:
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > _READ_LIMIT:
            return None
        # latin-1 maps every byte: the address is ASCII or UTF-8, found either way below.
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _files_in(folders: list[Path], *, skip: Path) -> list[Path]:
    """The files in the tool's folders that may hold copies (not its database or keys)."""
    found: list[Path] = []
    for folder in dict.fromkeys(folders):
        if folder.is_dir():
            found.extend(
                path
                for path in _files(folder)
                if not path.is_relative_to(skip)
                and path.name not in _STATE_FILES
                and not _is_database(path)
            )
    return found


def _inside(path: Path, folders: list[Path]) -> bool:
    return any(path.resolve().is_relative_to(folder.resolve()) for folder in folders)


def _files_holding(target: ErasureTarget, paths: list[Path]) -> list[str]:
    """Which of these files still hold the address."""
    pattern = target.pattern
    # JSON files may spell non-ASCII with \u escapes; the escaped forms are searched too.
    escaped = re.compile(
        "|".join(re.escape(json.dumps(f)[1:-1]) for f in target.forms if not f.isascii()) or "(?!)"
    )
    found: list[str] = []
    for path in paths:
        text = _read(path)
        if text is None:
            found.append(f"{path} (not checked: too large or unreadable)")
        elif pattern.search(text) or escaped.search(text):
            found.append(str(path))
    return found


def _is_database(path: Path) -> bool:
    return re.search(r"\.(db|sqlite3?)(-wal|-shm|-journal)?$", path.name) is not None


def _checkpoint(ctx: Context) -> None:
    """Fold the write-ahead log into the database file and empty it: old copies of the
    erased rows must not linger in the WAL."""
    with ctx.store.connect() as db:
        db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = ["erase", "erase_ledger", "erase_outbox"]
