"""What a reader changes about themselves: unsubscribe, themes, profile, pause.

The web app's preference centre and unsubscribe links, and the unsubscribe mailbox,
write through these functions only. The rules are the import's: a change of profile or
themes never changes anyone's status (nobody is resubscribed by accident), and an
unsubscribe always wins. Every change is recorded as an event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from varcomms.addresses import fold
from varcomms.errors import InputError, NotFoundError
from varcomms.store import Store
from varcomms.store.schema import subscriber_themes, subscribers

from . import changes
from .subscribers import INACTIVE, SubscriberRecord, records
from .suppression import add_suppression

# The profile fields a reader may change themselves.
EDITABLE = ("name", "organisation", "org_type", "municipality")


def subscriber_by_id(store: Store, subscriber_id: int) -> SubscriberRecord | None:
    with store.connect() as db:
        found = records(
            db, db.execute(select(subscribers).where(subscribers.c.id == subscriber_id))
        )
    return found[0] if found else None


@dataclass(frozen=True)
class UnsubscribeResult:
    changed: bool  # False when the person had already left (or was never here)
    email: str | None


def unsubscribe(
    store: Store,
    *,
    subscriber_id: int | None = None,
    email: str | None = None,
    now: datetime,
    channel: str,
    source: str,
    edition_id: str | None = None,
    reason: str | None = None,
) -> UnsubscribeResult:
    """Unsubscribe one person at once; safe to repeat (the second time changes nothing).

    By subscriber id (the links in every newsletter) or by address (a test send's link, a
    mail to the unsubscribe address). An address we hold no profile for goes onto the
    suppression list only, so a later import cannot add it.
    """
    data: dict[str, Any] = {"reason": reason[:500]} if reason else {}
    if subscriber_id is not None:
        where = subscribers.c.id == subscriber_id
    else:
        address = fold(email or "")
        where = subscribers.c.email == address
    with store.begin() as db:
        # The write comes first, as one conditional UPDATE: concurrent clicks cannot both
        # count as the change, and SQLite takes its write lock before any read.
        changed = db.execute(
            update(subscribers)
            .where(where, subscribers.c.status.not_in(INACTIVE))
            .values(status="unsubscribed", updated_at=now)
        ).rowcount
        row = db.execute(select(subscribers.c.id, subscribers.c.email).where(where)).first()
        if row is None and subscriber_id is None and "@" in address:
            changed = add_suppression(
                db, address, kind="address", reason="unsubscribed", source=source, now=now
            )
            row_email: str | None = address
        else:
            row_email = row.email if row is not None else None
        if changed:
            changes.record(
                db, type=changes.UNSUBSCRIBED, email=row_email, channel=channel,
                source=source, now=now, edition_id=edition_id, data=data,
            )  # fmt: skip
    return UnsubscribeResult(bool(changed), row_email)


@dataclass(frozen=True)
class ProfileChange:
    """What a reader asks for; None leaves a field as it is, "" clears it."""

    themes: frozenset[str] | None = None
    name: str | None = None
    organisation: str | None = None
    org_type: str | None = None
    municipality: str | None = None


def update_preferences(
    store: Store,
    subscriber_id: int,
    change: ProfileChange,
    *,
    now: datetime,
    known_themes: Collection[str],
    channel: str = "web",
    source: str = "preference-centre",
) -> list[str]:
    """Apply a reader's own changes; returns the names of the fields that changed.

    The status is never touched: choosing themes after unsubscribing does not bring
    anyone back. Unknown themes are refused rather than dropped.
    """
    if change.themes is not None:
        unknown = sorted(set(change.themes) - set(known_themes))
        if unknown:
            raise InputError(f"unknown theme {unknown[0]!r}", field="themes")
    with store.begin() as db:
        current = _locked(db, subscriber_id)
        values: dict[str, Any] = {}
        for name in EDITABLE:
            new = getattr(change, name)
            if new is None:
                continue
            new = new.strip() or None
            if name == "org_type" and new is None:
                new = "other"
            if new != getattr(current, name):
                values[name] = new
        changed = list(values)
        if "name" in values:
            values["first_name"] = values["name"].split()[0] if values["name"] else None
        if change.themes is not None and change.themes != frozenset(current.themes):
            db.execute(
                delete(subscriber_themes).where(subscriber_themes.c.subscriber_id == subscriber_id)
            )
            if change.themes:
                db.execute(
                    insert(subscriber_themes),
                    [{"subscriber_id": subscriber_id, "theme": t} for t in sorted(change.themes)],
                )
            changed.append("themes")
        if not changed:
            return []
        db.execute(
            update(subscribers)
            .where(subscribers.c.id == subscriber_id)
            .values(**values, updated_at=now)
        )
        data: dict[str, Any] = {"changed": changed}
        if "themes" in changed:
            data["themes"] = sorted(change.themes or ())
        changes.record(
            db, type=changes.PREFERENCES, email=current.email, channel=channel,
            source=source, now=now, data=data,
        )  # fmt: skip
    return changed


def pause(
    store: Store,
    subscriber_id: int,
    until: datetime | None,
    *,
    now: datetime,
    channel: str = "web",
    source: str = "preference-centre",
) -> bool:
    """No newsletter until ``until`` (None ends a pause). True when something changed."""
    with store.begin() as db:
        current = _locked(db, subscriber_id)
        if until is not None and until <= now:
            raise InputError("a pause must end in the future", field="pause")
        row = db.execute(
            select(subscribers.c.paused_until).where(subscribers.c.id == subscriber_id)
        ).one()
        if row.paused_until == until:
            return False
        db.execute(
            update(subscribers)
            .where(subscribers.c.id == subscriber_id)
            .values(paused_until=until, updated_at=now)
        )
        changes.record(
            db, type=changes.PAUSED, email=current.email, channel=channel, source=source,
            now=now, data={"until": until.isoformat() if until else None},
        )  # fmt: skip
    return True


def _locked(db: Connection, subscriber_id: int) -> SubscriberRecord:
    """The current record, locked so two tabs' saves do not interleave.

    PostgreSQL locks the row; SQLite gets a no-op write first, which takes its write lock
    before the read (a read that later upgrades can fail at once under concurrency).
    """
    query = select(subscribers).where(subscribers.c.id == subscriber_id)
    if db.dialect.name == "postgresql":
        query = query.with_for_update()
    else:
        db.execute(
            update(subscribers).where(subscribers.c.id == subscriber_id).values(id=subscribers.c.id)
        )
    found = records(db, db.execute(query))
    if not found:
        raise NotFoundError("no such subscriber")
    return found[0]


def paused_until(store: Store, subscriber_id: int) -> datetime | None:
    with store.connect() as db:
        return db.execute(
            select(subscribers.c.paused_until).where(subscribers.c.id == subscriber_id)
        ).scalar()


__all__ = [
    "ProfileChange",
    "UnsubscribeResult",
    "pause",
    "paused_until",
    "subscriber_by_id",
    "unsubscribe",
    "update_preferences",
]
