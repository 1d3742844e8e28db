"""The data subject's rights: access (``export_person``) and erasure (``erase``).

Erasure removes the person's profile and themes, takes the address out of the send
ledger, the event log and every other text column of every table, and leaves a salted
hash on the suppression list so a later import does not bring them back. Delivery and
event rows stay, without the address, so reports keep their anonymous counts.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)

from varcomms.context import Context
from varcomms.errors import NotFoundError
from varcomms.store.schema import (
    deliveries,
    events,
    metadata,
    subscriber_themes,
    subscribers,
    suppressions,
)

from .emails import domain_of, fold
from .subscribers import by_emails
from .suppression import ErasureKey, add_suppression, erasure_key

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


@dataclass
class EraseReport:
    subscriber: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {"subscriber_removed": self.subscriber, "rows_changed": dict(self.counts)}


def _scrub(value: Any, pattern: re.Pattern[str], token: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(token, value)
    if isinstance(value, list):
        return [_scrub(item, pattern, token) for item in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern, token): _scrub(v, pattern, token) for k, v in value.items()}
    return value


def _sweep(db: Connection, table: Table, address: str, token: str) -> int:
    """Replace the address in every text and JSON column of one table; rows changed."""
    columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
    keys = list(table.primary_key.columns)
    if not columns or not keys:
        return 0
    # JSON serialisers may escape non-ASCII; look for both spellings.
    needles = {address, json.dumps(address)[1:-1]}
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    conditions = [
        func.lower(cast(column, Text) if isinstance(column.type, JSON) else column).contains(
            needle.lower(), autoescape=True
        )
        for column in columns
        for needle in needles
    ]
    changed = 0
    for row in db.execute(select(table).where(or_(*conditions))).mappings().all():
        values = {}
        for column in columns:
            current = row[column.name]
            scrubbed = _scrub(current, pattern, token)
            if scrubbed != current:
                values[column.name] = scrubbed
        if values:
            where = [key == row[key.name] for key in keys]
            db.execute(update(table).where(*where).values(values))
            changed += 1
    return changed


def erase(ctx: Context, email: str, *, key: ErasureKey | None = None) -> EraseReport:
    """Remove one person's personal data from the database; keep a salted hash only.

    Safe to repeat. The subscriber row and its themes are deleted; in deliveries and
    events the address becomes an anonymous token (so "one message per person per
    edition" and report counts survive); any other text that holds the address has it
    replaced. Files outside the database (the outbox, old CSV exports) are not touched.
    """
    address = fold(email)
    key = key or erasure_key(ctx)
    hashed = key.hash(address)
    token = "erased:" + hashed.split(":", 1)[1][:24]
    report = EraseReport()
    now = ctx.clock.now()
    with ctx.store.begin() as db:
        row = db.execute(select(subscribers.c.id).where(subscribers.c.email == address)).first()
        if row is not None:
            db.execute(delete(subscriber_themes).where(subscriber_themes.c.subscriber_id == row.id))
            db.execute(delete(subscribers).where(subscribers.c.id == row.id))
            report.subscriber = True
            report.counts["subscribers"] = 1
            changed = db.execute(
                update(deliveries)
                .where(deliveries.c.subscriber_id == row.id)
                .values(subscriber_id=None)
            ).rowcount
            if changed:
                report.counts["deliveries"] = changed
        removed = db.execute(
            delete(suppressions).where(
                suppressions.c.kind == "address", suppressions.c.value == address
            )
        ).rowcount
        if removed:
            report.counts["suppressions"] = removed
        add_suppression(db, hashed, kind="hash", reason=ERASED_REASON, source="erase", now=now)
        # Ledger rows: recipient_key keeps its uniqueness with the token in place.
        for row in db.execute(
            select(deliveries.c.id, deliveries.c.recipient_key).where(
                func.lower(deliveries.c.email) == address
            )
        ).all():
            db.execute(
                update(deliveries)
                .where(deliveries.c.id == row.id)
                .values(
                    email=token,
                    recipient_key=re.sub(re.escape(address), token, row.recipient_key, flags=re.I),
                    subscriber_id=None,
                )
            )
            report.counts["deliveries"] = report.counts.get("deliveries", 0) + 1
        changed = db.execute(
            update(events).where(func.lower(events.c.email) == address).values(email=None)
        ).rowcount
        if changed:
            report.counts["events"] = changed
        for table in metadata.sorted_tables:
            swept = _sweep(db, table, address, token)
            if swept:
                report.counts[table.name] = report.counts.get(table.name, 0) + swept
    log.info("erased one person: %s row(s) changed", report.total)
    return report
