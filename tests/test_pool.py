"""The item pool: de-duplication, updates, and editor decisions that stick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


def agenda_event(uid: str, start: datetime, title: str = "Leerhuis Ondermijning") -> Item:
    return Item(
        id=Item.make_id("agenda", uid),
        source="agenda",
        kind=ItemKind.EVENT,
        title=title,
        url="https://example.org/agenda/leerhuis",  # one page for the whole series
        guid=uid,
        event=EventInfo(start=start, uid=uid),
    )


def test_reexported_event_with_a_new_uid_on_the_same_day_stays_one_item(store: Store) -> None:
    # Title matching is the last resort: the same title on the same local day, and the
    # old UID gone from the calendar.
    pool.upsert_items(store, [agenda_event("uid-1", datetime(2022, 5, 19, 9, tzinfo=UTC))], now=NOW)
    moved = agenda_event("uid-2", datetime(2022, 5, 19, 13, tzinfo=UTC))
    counts = pool.upsert_items(store, [moved], now=NOW, zone=ZoneInfo("Europe/Amsterdam"))
    assert (counts.new, counts.updated) == (0, 1)
    (only,) = pool.list_items(store, kind=ItemKind.EVENT)
    assert only.event is not None and only.event.start.hour == 13


def test_a_new_event_is_never_merged_into_another_day(store: Store) -> None:
    # Audit H1: a series whose occurrences each have their own UID (WordPress plugins).
    # May is a new item, whatever happened to March; never across days, not even when
    # the old UID is gone and the link is the same.
    march = agenda_event("leerhuis-maart", datetime(2022, 3, 1, 9, tzinfo=UTC))
    pool.upsert_items(store, [march], now=NOW)
    pool.set_status(store, [march.id], ItemStatus.SKIPPED)
    may = agenda_event("leerhuis-mei", datetime(2022, 3, 29, 8, tzinfo=UTC))
    counts = pool.upsert_items(store, [may], now=NOW)
    assert (counts.new, counts.updated) == (1, 0)
    assert pool.get_item(store, march.id).status is ItemStatus.SKIPPED
    assert pool.get_item(store, may.id).status is ItemStatus.NEW
    # Late evening in Amsterdam is the next day in UTC terms and vice versa: "same day"
    # is the local day.
    late = agenda_event("late-1", datetime(2022, 6, 10, 21, 30, tzinfo=UTC), title="Avond")
    pool.upsert_items(store, [late], now=NOW)
    next_day = agenda_event("late-2", datetime(2022, 6, 10, 23, 30, tzinfo=UTC), title="Avond")
    counts = pool.upsert_items(store, [next_day], now=NOW, zone=ZoneInfo("Europe/Amsterdam"))
    assert counts.new == 1


def test_a_used_event_is_not_taken_over_by_a_new_uid(store: Store) -> None:
    old = agenda_event("a", datetime(2022, 4, 1, 9, tzinfo=UTC))
    pool.upsert_items(store, [old], now=NOW)
    pool.set_status(store, [old.id], ItemStatus.USED, used_in="2022-04")
    new = agenda_event("b", datetime(2022, 4, 15, 9, tzinfo=UTC))
    assert pool.upsert_items(store, [new], now=NOW).new == 1
    assert pool.get_item(store, new.id).status is ItemStatus.NEW


def test_a_guid_is_an_identity_even_when_links_are_shared(store: Store) -> None:
    # Entries that all link to one page are different stories when their guids differ,
    # also once the older one has dropped out of the feed.
    first = news("g1", guid="g1", url="https://example.org/nieuws")
    pool.upsert_items(store, [first], now=NOW)
    second = news("g2", guid="g2", url="https://example.org/nieuws", title="Ander bericht")
    assert pool.upsert_items(store, [second], now=NOW).new == 1


def test_guid_kept_as_written_meets_its_resolved_form(store: Store) -> None:
    # Before guids were kept as written, "1001" was stored as feedparser resolved it;
    # the first collect after the upgrade finds that row by its link (audit M8).
    old = news(
        "https://old.example/idem/1001",
        guid="https://old.example/idem/1001",
        url="https://old.example/idem/1001",
    )
    pool.upsert_items(store, [old], now=NOW)
    upgraded = news("1001", guid="1001", url="https://old.example/idem/1001")
    assert pool.upsert_items(store, [upgraded], now=NOW).new == 0
    moved = news("1001", guid="1001", url="https://new.example/idem/1001")
    counts = pool.upsert_items(store, [moved], now=NOW)
    assert (counts.new, counts.updated) == (0, 1)
    assert len(pool.list_items(store)) == 1


def test_a_link_moving_to_https_is_the_same_story(store: Store) -> None:
    # Audit L8: guid-less entries whose links change scheme.
    pool.upsert_items(store, [news("x", guid=None, url="http://example.org/a")], now=NOW)
    counts = pool.upsert_items(store, [news("y", guid=None, url="https://example.org/a")], now=NOW)
    assert (counts.new, counts.updated) == (0, 1)


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
