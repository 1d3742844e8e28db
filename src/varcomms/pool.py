"""The item pool: every item collected from the sources, de-duplicated, in the database.

Collect writes here (:func:`upsert_items`); drafting reads and marks items used; editors
skip and re-tag. An item is identified by the source's own identity for it: its id (made
from the guid or UID), then the same guid, then the same link (http and https alike),
and only as a last resort an event with the same title on the same day whose old UID
the calendar no longer publishes. A match on link or title never crosses events on
different dates, so a new event never takes over a past one (and its ``skipped`` or
``used``); it is a new item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

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


class _Known:
    """The stored rows a batch may be new sightings of, read in a few queries.

    One query per kind of identity (ids, guids, links) for the whole batch instead of
    three per item: a cold collect of thousands of items is bound by this. Rows added
    in this batch are filed here too, so a later item of the batch finds them.
    """

    CHUNK = 500  # bound parameters per query, well under every database's limit

    def __init__(self, db: Connection, batch: list[Item]) -> None:
        self.by_id: dict[str, Any] = {}
        self.by_guid: dict[tuple[str, str], Any] = {}
        self.by_url: dict[tuple[str, str], list[Any]] = {}
        column = items_table.c
        self._read(db, None, column.id, [item.id for item in batch])
        for source in {item.source for item in batch}:
            # With the source first, the lookups use the (source, guid/url) indexes.
            mine = [item for item in batch if item.source == source]
            self._read(db, source, column.guid, [item.guid for item in mine if item.guid])
            urls = [url for item in mine if item.url for url in _url_variants(item.url)]
            self._read(db, source, column.url, urls)

    def _read(self, db: Connection, source: str | None, column: Any, values: list[str]) -> None:
        unique = sorted(set(values))
        for start in range(0, len(unique), self.CHUNK):
            where = [column.in_(unique[start : start + self.CHUNK])]
            if source is not None:
                where.append(items_table.c.source == source)
            for row in db.execute(select(items_table).where(*where)):
                self.add(row)

    def add(self, row: Any) -> None:
        if row.id in self.by_id:
            return
        self.by_id[row.id] = row
        if row.guid:
            self.by_guid.setdefault((row.source, row.guid), row)
        if row.url:
            self.by_url.setdefault((row.source, row.url), []).append(row)


def _find_existing(
    db: Connection,
    item: Item,
    known: _Known,
    *,
    live_keys: set[str],
    claimed: set[str],
    zone: tzinfo,
) -> Any | None:
    """The row this item is a new sighting of, if any (see the module docstring).

    ``live_keys`` are the guids of the batch being stored: a row whose own guid is still
    published is a different story, never another sighting. ``claimed`` are rows already
    matched in this batch, so two items never land on one row.
    """
    row = known.by_id.get(item.id)
    if row is not None:
        return row
    if item.guid:
        row = known.by_guid.get((item.source, item.guid))
        if row is not None:
            return row

    def free(row: Any) -> bool:
        return (
            row.id not in claimed and row.guid not in live_keys and _same_event_day(row, item, zone)
        )

    if item.url:  # an entry without a link of its own has url ""; that matches nothing
        for url in _url_variants(item.url):
            for row in known.by_url.get((item.source, url), ()):
                if free(row) and _same_identity(row.guid, item.guid):
                    return row
    if item.event is not None:
        # Last resort: a calendar that re-exported its events under new UIDs. Same title,
        # same local day, and the old UID gone from the calendar.
        rows = db.execute(
            select(items_table).where(
                items_table.c.source == item.source,
                items_table.c.kind == item.kind.value,
                func.lower(items_table.c.title) == item.title.lower(),
                items_table.c.event_start.is_not(None),
            )
        ).all()
        for row in rows:
            if free(row):
                return row
    return None


def _same_identity(stored: str | None, guid: str | None) -> bool:
    """Whether a row found by link is this item: both without a guid, or the stored guid
    is this guid as feedparser used to resolve it (``1001`` kept as ``http://host/1001``
    before guids were kept as written). Two different guids on one link are two stories.
    """
    if guid is None or stored is None:
        return guid is None and stored is None
    return "://" in stored and "://" not in guid and urljoin(stored, guid) == stored


def _url_variants(url: str) -> list[str]:
    """The link over http and over https: a site moving to https is the same story."""
    for scheme, other in (("http://", "https://"), ("https://", "http://")):
        if url.startswith(scheme):
            return [url, other + url[len(scheme) :]]
    return [url]


def _same_event_day(row: Row[Any], item: Item, zone: tzinfo) -> bool:
    """True for news; for events, whether both fall on the same local day."""
    if item.event is None and row.event_start is None:
        return True
    if item.event is None or row.event_start is None:
        return False
    old = row.event_start
    if old.tzinfo is None:  # SQLite gives naive UTC back
        old = old.replace(tzinfo=UTC)
    return old.astimezone(zone).date() == item.event.start.astimezone(zone).date()


def upsert_items(
    store: Store, found: Iterable[Item], *, now: datetime, zone: tzinfo = UTC
) -> UpsertCounts:
    """Add new items, update changed ones; skipped/used status is never reset.

    Pass all items of one source in one call: de-duplication looks at which guids the
    source still publishes. ``zone`` is the local time that decides an event's day.
    """
    batch = list(found)
    live_keys = {item.guid for item in batch if item.guid}
    claimed: set[str] = set()
    counts = UpsertCounts()
    inserts: dict[str, dict[str, Any]] = {}  # new rows, written together at the end
    seen: list[str] = []  # unchanged rows: only last_seen moves
    with store.begin() as db:
        known = _Known(db, batch)
        for item in batch:
            existing = _find_existing(
                db, item, known, live_keys=live_keys, claimed=claimed, zone=zone
            )
            if existing is None:
                values = {
                    "id": item.id,
                    "status": item.status.value,
                    "used_in": item.used_in,
                    "first_seen": now,
                    "last_seen": now,
                    "themes_locked": False,
                    **_values(item),
                }
                inserts[item.id] = values
                known.add(SimpleNamespace(**values))
                claimed.add(item.id)
                counts.new += 1
                continue
            claimed.add(existing.id)
            if existing.themes_locked:
                # An editor re-tagged it: their themes win over the rules, now and later.
                item = replace(item, themes=tuple(existing.themes or ()))
            values = _values(item)
            if existing.id in inserts:  # a second sighting within this batch: last wins
                changed = inserts[existing.id]["content_hash"] != values["content_hash"]
                inserts[existing.id].update(values)
                counts.updated += changed
                counts.unchanged += not changed
            elif existing.content_hash == values["content_hash"]:
                if existing.guid != item.guid:
                    # The identity moved (a guid now kept as written): follow it.
                    db.execute(
                        update(items_table)
                        .where(items_table.c.id == existing.id)
                        .values(last_seen=now, guid=item.guid)
                    )
                else:
                    seen.append(existing.id)
                counts.unchanged += 1
            else:
                db.execute(
                    update(items_table)
                    .where(items_table.c.id == existing.id)
                    .values(last_seen=now, **values)
                )
                counts.updated += 1
        if inserts:
            db.execute(items_table.insert(), list(inserts.values()))
        for start in range(0, len(seen), _Known.CHUNK):
            chunk = seen[start : start + _Known.CHUNK]
            db.execute(update(items_table).where(items_table.c.id.in_(chunk)).values(last_seen=now))
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
