"""The item pool: every item collected from the sources, de-duplicated, in the database.

Collect writes here (:func:`upsert_items`); drafting reads and marks items used; editors
skip and re-tag. An item is identified by its stable id; when a source re-publishes the
same story (same guid, or no guid but the same link, or an event whose UID changed but
whose title and day did not) the existing row is updated instead of a second one made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, and_, func, or_, select, update

from varcomms.errors import NotFoundError, StateError
from varcomms.models import EventInfo, Item, ItemKind, ItemStatus
from varcomms.store import Store
from varcomms.store.schema import items as items_table

if TYPE_CHECKING:
    from varcomms.config import Config
    from varcomms.context import Context


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def content_hash(item: Item) -> str:
    """A hash of what an editor would see; a change in it means "updated"."""
    event = item.event
    payload = [
        item.title,
        item.url,
        item.summary_html,
        item.image_url,
        item.image_alt,
        sorted(item.themes),
        item.published.isoformat() if item.published else None,
        event.start.isoformat() if event else None,
        event.end.isoformat() if event and event.end else None,
        event.location if event else None,
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _values(item: Item) -> dict[str, Any]:
    event = item.event
    return {
        "source": item.source,
        "kind": item.kind.value,
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "summary_html": item.summary_html,
        "published_at": item.published,
        "image_url": item.image_url,
        "image_alt": item.image_alt,
        "themes": sorted(item.themes),
        "brand": item.brand,
        "event_start": event.start if event else None,
        "event_end": event.end if event else None,
        "event_all_day": event.all_day if event else False,
        "event_location": event.location if event else None,
        "event_uid": event.uid if event else None,
        "event_ics_url": event.ics_url if event else None,
        "content_hash": content_hash(item),
    }


def row_to_item(row: Row[Any]) -> Item:
    event = None
    if row.event_start is not None:
        event = EventInfo(
            start=row.event_start,
            end=row.event_end,
            all_day=bool(row.event_all_day),
            location=row.event_location,
            uid=row.event_uid,
            ics_url=row.event_ics_url,
        )
    return Item(
        id=row.id,
        source=row.source,
        kind=ItemKind(row.kind),
        title=row.title,
        url=row.url,
        summary_html=row.summary_html,
        published=row.published_at,
        image_url=row.image_url,
        image_alt=row.image_alt,
        themes=tuple(row.themes or ()),
        guid=row.guid,
        brand=row.brand,
        event=event,
        status=ItemStatus(row.status),
        used_in=row.used_in,
    )


def _find_existing(
    db: Connection, item: Item, *, live_keys: set[str], claimed: set[str]
) -> Row[Any] | None:
    """The row this item is a new sighting of, if any (see the module docstring).

    ``live_keys`` are the guids of the batch being stored: a row whose own guid is still
    published is a different story, never a rescheduled one. ``claimed`` are rows already
    matched in this batch, so two items never land on one row.
    """
    row = db.execute(select(items_table).where(items_table.c.id == item.id)).first()
    if row is not None:
        return row
    same_source = items_table.c.source == item.source
    if item.guid:
        row = db.execute(
            select(items_table).where(same_source, items_table.c.guid == item.guid)
        ).first()
        if row is not None:
            return row
    elif item.url:  # an entry without a link of its own has url ""; that matches nothing
        row = db.execute(
            select(items_table).where(
                same_source, items_table.c.guid.is_(None), items_table.c.url == item.url
            )
        ).first()
        if row is not None:
            return row
    if item.event is not None:
        # A rescheduled event often gets a new UID from the calendar; the same title in
        # the same source within a few weeks of the old date, whose old UID is gone from
        # the calendar, is the same event.
        window = 60 * 60 * 24 * 45
        candidates = db.execute(
            select(items_table).where(
                same_source,
                items_table.c.kind == item.kind.value,
                func.lower(items_table.c.title) == item.title.lower(),
                items_table.c.event_start.is_not(None),
            )
        ).all()
        start = item.event.start
        candidates = [
            row
            for row in candidates
            if row.id not in claimed
            and row.guid not in live_keys
            and abs((row.event_start - start).total_seconds()) <= window
        ]
        if candidates:
            return min(candidates, key=lambda row: abs((row.event_start - start).total_seconds()))
    return None


def upsert_items(store: Store, found: Iterable[Item], *, now: datetime) -> UpsertCounts:
    """Add new items, update changed ones; skipped/used status is never reset.

    Pass all items of one source in one call: de-duplication of rescheduled events
    looks at which events the source still publishes.
    """
    batch = list(found)
    live_keys = {item.guid for item in batch if item.guid}
    claimed: set[str] = set()
    counts = UpsertCounts()
    with store.begin() as db:
        for item in batch:
            existing = _find_existing(db, item, live_keys=live_keys, claimed=claimed)
            if existing is None:
                db.execute(
                    items_table.insert().values(
                        id=item.id,
                        status=item.status.value,
                        used_in=item.used_in,
                        first_seen=now,
                        last_seen=now,
                        **_values(item),
                    )
                )
                claimed.add(item.id)
                counts.new += 1
                continue
            claimed.add(existing.id)
            if existing.themes_locked:
                # An editor re-tagged it: their themes win over the rules, now and later.
                item = replace(item, themes=tuple(existing.themes or ()))
            values = _values(item)
            if existing.content_hash == values["content_hash"]:
                db.execute(
                    update(items_table).where(items_table.c.id == existing.id).values(last_seen=now)
                )
                counts.unchanged += 1
            else:
                db.execute(
                    update(items_table)
                    .where(items_table.c.id == existing.id)
                    .values(last_seen=now, **values)
                )
                counts.updated += 1
    return counts


def as_utc(value: datetime | date, config: Config) -> datetime:
    """A date from the command line as UTC: dates and naive times are local time."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=config.tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=config.tz)
    return value.astimezone(UTC)


def upcoming_window(ctx: Context) -> dict[str, datetime]:
    """``list_items`` filters for the events an edition planned now would offer."""
    now = ctx.clock.now()
    days = ctx.config.editions.agenda_window_days
    return {"event_from": now, "event_until": now + timedelta(days=days)}


def list_items(
    store: Store,
    *,
    kind: ItemKind | None = None,
    theme: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    status: ItemStatus | Sequence[ItemStatus] | None = None,
    event_from: datetime | None = None,
    event_until: datetime | None = None,
    limit: int | None = None,
) -> list[Item]:
    """Pool items matching every given filter; news newest first, events soonest first."""
    query = select(items_table)
    conditions = []
    if kind is not None:
        conditions.append(items_table.c.kind == kind.value)
    if source is not None:
        conditions.append(items_table.c.source == source)
    if since is not None:
        conditions.append(
            or_(
                items_table.c.published_at >= since,
                and_(items_table.c.published_at.is_(None), items_table.c.first_seen >= since),
            )
        )
    if status is not None:
        wanted = [status] if isinstance(status, ItemStatus) else list(status)
        conditions.append(items_table.c.status.in_([s.value for s in wanted]))
    if event_from is not None:
        conditions.append(items_table.c.event_start >= event_from)
    if event_until is not None:
        conditions.append(items_table.c.event_start <= event_until)
    if conditions:
        query = query.where(*conditions)
    if kind is ItemKind.EVENT:
        query = query.order_by(items_table.c.event_start.asc(), items_table.c.id)
    else:
        query = query.order_by(items_table.c.published_at.desc(), items_table.c.id)
    with store.connect() as db:
        rows = db.execute(query).all()
    found = [row_to_item(row) for row in rows]
    if theme is not None:
        # Themes are a small JSON list; filtering here keeps the SQL portable.
        found = [item for item in found if theme in item.themes]
    return found[:limit] if limit is not None else found


def get_item(store: Store, item_id: str) -> Item:
    with store.connect() as db:
        row = db.execute(select(items_table).where(items_table.c.id.startswith(item_id))).all()
    if not row:
        raise NotFoundError(f"no item with id {item_id!r}", hint="see `varcomms items list`")
    if len(row) > 1:
        raise NotFoundError(f"item id {item_id!r} is ambiguous; give more characters")
    return row_to_item(row[0])


def set_status(
    store: Store, item_ids: Iterable[str], status: ItemStatus, *, used_in: str | None = None
) -> int:
    ids = list(item_ids)
    if not ids:
        return 0
    with store.begin() as db:
        result = db.execute(
            update(items_table)
            .where(items_table.c.id.in_(ids))
            .values(status=status.value, used_in=used_in)
        )
    return result.rowcount


def set_themes(store: Store, item_id: str, themes: Iterable[str]) -> Item:
    """An editor's themes for an item; later collects keep them (``themes_locked``)."""
    item = get_item(store, item_id)
    chosen = set(themes)
    with store.begin() as db:
        db.execute(
            update(items_table)
            .where(items_table.c.id == item.id)
            .values(
                themes=sorted(chosen),
                themes_locked=True,
                content_hash=content_hash(replace(item, themes=tuple(sorted(chosen)))),
            )
        )
    return get_item(store, item.id)


def skip_item(store: Store, item_id: str, *, undo: bool = False) -> Item:
    """An editor's "not for the newsletter" (or, with ``undo``, "offer it again")."""
    item = get_item(store, item_id)
    if item.status is ItemStatus.USED:
        raise StateError(
            f"item {item.id} is already used in edition {item.used_in}",
            hint="remove it from that edition's files instead",
        )
    if undo and item.status is not ItemStatus.SKIPPED:
        raise StateError(f"item {item.id} is not skipped")
    set_status(store, [item.id], ItemStatus.NEW if undo else ItemStatus.SKIPPED)
    return get_item(store, item.id)


def retag_item(
    store: Store,
    item_id: str,
    *,
    known: Iterable[str],
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    exactly: Iterable[str] | None = None,
) -> Item:
    """Change an item's themes by hand: ``exactly`` these, or current + ``add`` - ``remove``."""
    known_themes = set(known)
    unknown = sorted({*add, *remove, *(exactly or ())} - known_themes)
    if unknown:
        raise NotFoundError(
            f"unknown theme {unknown[0]!r}", hint="see `varcomms config themes` for the slugs"
        )
    item = get_item(store, item_id)
    themes = set(exactly) if exactly is not None else set(item.themes)
    return set_themes(store, item.id, (themes | set(add)) - set(remove))
