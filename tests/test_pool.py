"""The item pool: de-duplication, updates, and editor decisions that stick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from varcomms import pool
from varcomms.models import EventInfo, Item, ItemKind, ItemStatus
from varcomms.store import Store

NOW = datetime(2022, 2, 1, 9, 0, tzinfo=UTC)


def news(key: str, *, guid: str | None, url: str, title: str = "Leerhuis Cyber") -> Item:
    return Item(
        id=Item.make_id("var-nieuws", key),
        source="var-nieuws",
        kind=ItemKind.NEWS,
        title=title,
        url=url,
        guid=guid,
        published=NOW - timedelta(days=3),
        themes=("cybercriminaliteit",),
    )


def test_same_guid_is_one_item_updated(store: Store) -> None:
    first = news("g1", guid="g1", url="https://example.org/a")
    counts = pool.upsert_items(store, [first], now=NOW)
    assert (counts.new, counts.updated, counts.unchanged) == (1, 0, 0)
    again = pool.upsert_items(store, [first], now=NOW)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    changed = news("g1", guid="g1", url="https://example.org/a", title="Leerhuis Cyber (nieuw)")
    counts = pool.upsert_items(store, [changed], now=NOW)
    assert (counts.new, counts.updated) == (0, 1)
    assert [i.title for i in pool.list_items(store)] == ["Leerhuis Cyber (nieuw)"]


def test_no_guid_same_link_is_one_item(store: Store) -> None:
    a = news("x", guid=None, url="https://example.org/same")
    b = news("y", guid=None, url="https://example.org/same", title="Andere titel")
    pool.upsert_items(store, [a], now=NOW)
    counts = pool.upsert_items(store, [b], now=NOW)
    assert counts.new == 0 and counts.updated == 1
    assert len(pool.list_items(store)) == 1


def test_rescheduled_event_with_new_uid_stays_one_item(store: Store) -> None:
    def event(uid: str, day: int) -> Item:
        start = datetime(2022, 5, day, 9, 0, tzinfo=UTC)
        return Item(
            id=Item.make_id("agenda", uid),
            source="agenda",
            kind=ItemKind.EVENT,
            title="Regionale Zorg- en Veiligheidsconferentie",
            url="https://example.org/c",
            guid=uid,
            event=EventInfo(start=start, uid=uid),
        )

    pool.upsert_items(store, [event("uid-1", 19)], now=NOW)
    counts = pool.upsert_items(store, [event("uid-2", 24)], now=NOW)
    assert counts.new == 0 and counts.updated == 1
    (only,) = pool.list_items(store, kind=ItemKind.EVENT)
    assert only.event is not None and only.event.start.day == 24


def test_skipped_items_stay_skipped_after_update(store: Store) -> None:
    item = news("g1", guid="g1", url="https://example.org/a")
    pool.upsert_items(store, [item], now=NOW)
    pool.set_status(store, [item.id], ItemStatus.SKIPPED)
    pool.upsert_items(
        store, [news("g1", guid="g1", url="https://example.org/a", title="X")], now=NOW
    )
    assert pool.get_item(store, item.id).status is ItemStatus.SKIPPED
    assert pool.list_items(store, status=ItemStatus.NEW) == []


def test_filters_and_retagging(store: Store) -> None:
    a = news("a", guid="a", url="https://example.org/a")
    b = news("b", guid="b", url="https://example.org/b", title="Ondermijning")
    pool.upsert_items(store, [a, b], now=NOW)
    pool.set_themes(store, b.id[:8], ["ondermijning"])
    assert [i.id for i in pool.list_items(store, theme="ondermijning")] == [b.id]
    assert len(pool.list_items(store, theme="cybercriminaliteit")) == 1
    assert pool.list_items(store, since=NOW) == []
