"""The data subject's rights: access (``export_person``) and erasure (``erase_profile``).

Erasure is by key, never by substring: it takes exactly one valid address
(:func:`erasure_target` refuses anything else) and touches only rows that hold that
address as their key, or text that holds it as a whole token in the columns known to
carry it. It deletes the person's profile and themes and their own suppression entry,
takes the address out of the event log, and leaves a keyed hash on the suppression list
so a later import or send does not bring them back. The send ledger and the outbox are
the delivery stage's: ``varcomms.delivery.erasure.erase`` runs this step and its own in
one transaction, and is what the CLI calls.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Text, cast, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from varcomms.addresses import (
    InvalidAddressError,
    domain_of,
    fold,
    normalise_email,
    spellings,
    whole_address,
)
from varcomms.context import Context
from varcomms.errors import InputError, NotFoundError
from varcomms.store.schema import (
    deliveries,
    events,
    optins,
    subscriber_themes,
    subscribers,
    suppressions,
)

from .subscribers import by_emails
from .suppression import ErasureKey, add_suppression

log = logging.getLogger(__name__)

ERASED_REASON = "erased"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_person(ctx: Context, email: str) -> dict[str, Any]:
    """Everything held about one person, as JSON-ready data (the right of access)."""
    address = fold(email)
    with ctx.store.connect() as db:
        record = by_emails(db, [address]).get(address)
        suppression_rows = db.execute(
            select(suppressions).where(
                or_(
                    (suppressions.c.kind == "address") & (suppressions.c.value == address),
                    (suppressions.c.kind == "domain")
                    & (suppressions.c.value == domain_of(address)),
                )
            )
        ).all()
        delivery_rows = db.execute(
            select(deliveries).where(deliveries.c.email == address).order_by(deliveries.c.id)
        ).all()
        event_rows = db.execute(
            select(events).where(events.c.email == address).order_by(events.c.id)
        ).all()
    if record is None and not (suppression_rows or delivery_rows or event_rows):
        raise NotFoundError(
            "nothing is held about that address",
            hint="addresses are matched case-insensitively; erased people leave only a hash",
        )
    return {
        "email": address,
        "exported_at": ctx.clock.now().isoformat(),
        "subscriber": record.to_dict() if record is not None else None,
        "suppressions": [
            {
                "kind": row.kind,
                "value": row.value,
                "reason": row.reason,
                "source": row.source,
                "created_at": _iso(row.created_at),
            }
            for row in suppression_rows
        ],
        "deliveries": [
            {
                "edition_id": row.edition_id,
                "send_id": row.send_id,
                "variant": row.variant,
                "state": row.state,
                "attempts": row.attempts,
                "message_id": row.message_id,
                "updated_at": _iso(row.updated_at),
            }
            for row in delivery_rows
        ],
        "events": [
            {
                "type": row.type,
                "provider": row.provider,
                "edition_id": row.edition_id,
                "occurred_at": _iso(row.occurred_at),
                "data": row.data,
            }
            for row in event_rows
        ],
    }


ERASED_TEXT = "[erased]"


@dataclass(frozen=True)
class ErasureTarget:
    """The one person to erase: the normalised address and every spelling it is stored in."""

    address: str
    forms: tuple[str, ...]

    @property
    def pattern(self) -> re.Pattern[str]:
        return whole_address(self.forms)


def erasure_target(raw: str) -> ErasureTarget:
    """Exactly one valid address, normalised; anything else (a fragment, a domain) is refused."""
    try:
        address = normalise_email(raw)
    except InvalidAddressError as err:
        raise InputError(
            f"cannot erase {raw!r}: it is not one valid address ({err}); nothing was changed",
            hint="erase takes one person's full address, e.g. jan@example.org",
        ) from err
    return ErasureTarget(address, spellings(address))


@dataclass
class EraseReport:
    """What one erasure did; the delivery stage adds the ledger and the files."""

    address: str = ""
    subscriber: bool = False
    subscriber_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    files_removed: list[str] = field(default_factory=list)
    files_redacted: list[str] = field(default_factory=list)
    not_reached: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + len(self.files_removed) + len(self.files_redacted)

    def add(self, table: str, rows: int) -> None:
        if rows:
            self.counts[table] = self.counts.get(table, 0) + rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "subscriber_removed": self.subscriber,
            "rows_changed": dict(self.counts),
            "files_removed": list(self.files_removed),
            "files_redacted": list(self.files_redacted),
            "not_reached": list(self.not_reached),
            "notes": list(self.notes),
        }


def scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` with every whole-token occurrence of the address replaced (JSON too)."""
    if isinstance(value, str):
        return pattern.sub(ERASED_TEXT, value)
    if isinstance(value, list):
        return [scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {scrub(k, pattern): scrub(v, pattern) for k, v in value.items()}
    return value


def might_hold(column: Any, target: ErasureTarget) -> ColumnElement[bool]:
    """SQL pre-selection: the column's text contains a spelling (the regex then decides)."""
    text_value = cast(column, Text) if isinstance(column.type, JSON) else column
    needles = {n for form in target.forms for n in (form, json.dumps(form)[1:-1])}
    return or_(*(func.lower(text_value).contains(n, autoescape=True) for n in needles))


def erase_profile(
    db: Connection, target: ErasureTarget, key: ErasureKey, *, now: datetime
) -> EraseReport:
    """The audience's part of an erasure, inside the caller's transaction.

    Rows are matched by key (``subscribers.email``, ``suppressions`` of kind address,
    ``events.email``); only ``events.data`` is free text, scrubbed where the address is
    a whole token. Other people's rows, other suppressions and every other table are
    never touched.
    """
    report = EraseReport(address=target.address)
    if db.dialect.name == "sqlite":
        # Deleted rows are overwritten on disk, not left in free pages.
        db.exec_driver_sql("PRAGMA secure_delete=ON")
    row = db.execute(select(subscribers.c.id).where(subscribers.c.email.in_(target.forms))).first()
    if row is not None:
        db.execute(delete(subscriber_themes).where(subscriber_themes.c.subscriber_id == row.id))
        db.execute(delete(subscribers).where(subscribers.c.id == row.id))
        report.subscriber = True
        report.subscriber_id = row.id
        report.add("subscribers", 1)
    removed = db.execute(
        delete(suppressions).where(
            suppressions.c.kind == "address", suppressions.c.value.in_(target.forms)
        )
    ).rowcount
    report.add("suppressions", removed)
    # Sign-up requests from the web form (confirmed or not) hold the address and the form.
    report.add(
        "optins",
        db.execute(delete(optins).where(func.lower(optins.c.email).in_(target.forms))).rowcount,
    )
    add_suppression(
        db, key.hash(target.address), kind="hash", reason=ERASED_REASON, source="erase", now=now
    )
    pattern = target.pattern
    changed = 0
    candidates = db.execute(
        select(events.c.id, events.c.email, events.c.data).where(
            or_(func.lower(events.c.email).in_(target.forms), might_hold(events.c.data, target))
        )
    ).all()
    for event in candidates:
        values: dict[str, Any] = {}
        if event.email is not None and event.email.lower() in target.forms:
            values["email"] = None
        data = scrub(event.data, pattern)
        if data != event.data:
            values["data"] = data
        if values:
            db.execute(update(events).where(events.c.id == event.id).values(values))
            changed += 1
    report.add("events", changed)
    return report
