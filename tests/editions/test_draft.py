"""Drafting from a real item pool: grouping, ordering, the agenda window, used once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.editions.conftest import event, make_context, news, replace_in
from varcomms import pool
from varcomms.context import Context
from varcomms.editions import (
    draft_new,
    lint_edition,
    load_edition,
    read_folder,
    refresh,
    set_status,
)
from varcomms.editions.planning import agenda_window
from varcomms.errors import InputError, StateError
from varcomms.models import Edition, EditionStatus, ItemKind, ItemStatus

AMS = ZoneInfo("Europe/Amsterdam")
PLANNED = datetime(2022, 2, 1, 9, 0, tzinfo=AMS)
COLLECTED = datetime(2022, 1, 20, 6, 0, tzinfo=UTC)


def jan(day: int, hour: int = 9) -> datetime:
    return datetime(2022, 1, day, hour, 0, tzinfo=UTC)


def fill_pool(ctx: Context) -> dict[str, str]:
    """A pool like collect leaves it; returns item ids by a short name."""
    items = {
        "cyber": news("cyber", jan(10), themes=("cybercriminaliteit",)),
        "plain": news("plain", jan(15)),
        "leerhuis": news("leerhuis", jan(18), themes=("kennisbijeenkomsten",)),
        "old": news("old", datetime(2021, 12, 1, tzinfo=UTC)),
        "riec": news("riec", jan(12), source="riec-nieuws", brand="riec", themes=("ondermijning",)),
        "manual": news("manual", jan(16), source="redactie", brand=None, kind=ItemKind.MANUAL),
        "campaign-old": news(
            "babbel-1", jan(5), source="politie", brand=None, kind=ItemKind.CAMPAIGN
        ),
        "campaign-new": news(
            "babbel-2", jan(19), source="politie", brand=None, kind=ItemKind.CAMPAIGN
        ),
        # 08:00 local on the planned day: before the send time, but on the day itself.
        "on-the-day": event("on-the-day", datetime(2022, 2, 1, 7, 0, tzinfo=UTC)),
        "day-before": event("day-before", datetime(2022, 1, 31, 14, 0, tzinfo=UTC)),
        "march": event("march", datetime(2022, 3, 1, 13, 0, tzinfo=UTC)),
        # The window's last day (planned day + 90) in the evening, and the day after it.
        "last-day": event("last-day", datetime(2022, 5, 2, 18, 0, tzinfo=UTC)),
        "too-late": event("too-late", datetime(2022, 5, 3, 8, 0, tzinfo=UTC)),
    }
    pool.upsert_items(ctx.store, items.values(), now=COLLECTED)
    return {name: item.id for name, item in items.items()}


def ids(section) -> list[str | None]:  # type: ignore[no-untyped-def]
    return [item.item_id for item in section.items] if section else []


def test_draft_groups_orders_and_windows(pool_ctx: Context) -> None:
    names = fill_pool(pool_ctx)
    edition = draft_new(pool_ctx, planned=PLANNED)
    assert (edition.id, edition.number, edition.planned) == ("2022-01", 1, PLANNED)
    by_slug = {section.slug: section for section in edition.sections}
    # Newest first; the manual note joins the news; the RIEC story does not.
    assert ids(by_slug["nieuws"]) == [names["manual"], names["plain"], names["cyber"]]
    assert ids(by_slug["kennis"]) == [names["leerhuis"]]
    # The latest campaign is the campaign block; the older one goes to "campagnes".
    assert ids(edition.campaign) == [names["campaign-new"]]
    assert ids(by_slug["campagnes"]) == [names["campaign-old"]]
    assert ids(edition.riec) == [names["riec"]]
    assert edition.riec is not None and edition.riec.brand == "riec"
    # Soonest first, from the planned day itself to the window's last day.
    assert ids(edition.agenda) == [names["on-the-day"], names["march"], names["last-day"]]
    assert edition.agenda is not None
    first = edition.agenda.items[0].event
    assert first is not None and first.start == datetime(2022, 2, 1, 8, 0, tzinfo=AMS)
    everything = [i for s in edition.all_sections for i in s.items]
    assert names["old"] not in [i.item_id for i in everything]
    assert edition.themed_sections == ()
    assert edition.subject.endswith("februari 2022")


def test_drafted_items_are_used_once(pool_ctx: Context) -> None:
    names = fill_pool(pool_ctx)
    first = draft_new(pool_ctx, planned=PLANNED)
    drafted = {i.item_id for s in first.all_sections for i in s.items}
    for item_id in drafted:
        stored = pool.get_item(pool_ctx.store, item_id)  # type: ignore[arg-type]
        assert stored.status is ItemStatus.USED and stored.used_in == "2022-01"
    assert pool.get_item(pool_ctx.store, names["old"]).status is ItemStatus.NEW

    later = news("later", datetime(2022, 2, 3, tzinfo=UTC), title="Nieuw na de eerste")
    pool.upsert_items(pool_ctx.store, [later], now=COLLECTED)
    second = draft_new(pool_ctx, planned=datetime(2022, 2, 15, 9, 0, tzinfo=AMS))
    assert second.id == "2022-02" and second.number == 2
    news_ids = [i.item_id for s in second.sections for i in s.items]
    assert news_ids == [later.id]
    assert second.riec is not None and second.riec.items == ()
    assert second.campaign is not None and second.campaign.items == ()
    # The agenda is a calendar: events still upcoming are shown again; the window
    # (now up to 16 May) also reaches the event that was too late for the first.
    assert ids(second.agenda) == [names["march"], names["last-day"], names["too-late"]]


def test_agenda_repeat_can_be_switched_off(sqlite_ctx: Context) -> None:
    settings = sqlite_ctx.config.editions.model_copy(update={"agenda_repeat_upcoming": False})
    config = sqlite_ctx.config.model_copy(update={"editions": settings})
    ctx = make_context(config, sqlite_ctx.clock, sqlite_ctx.store)  # type: ignore[arg-type]
    names = fill_pool(ctx)
    draft_new(ctx, planned=PLANNED)
    second = draft_new(ctx, planned=datetime(2022, 2, 15, 9, 0, tzinfo=AMS))
    assert ids(second.agenda) == [names["too-late"]]  # only the one never drafted


def test_news_since_the_last_sent_edition(sqlite_ctx: Context) -> None:
    fill_pool(sqlite_ctx)
    first = draft_new(sqlite_ctx, planned=PLANNED)
    folder = sqlite_ctx.config.newsletters_dir / first.id
    replace_in(folder / "edition.yaml", "status: draft", "status: sent")
    # Published before the sent edition went out but never drafted: not offered.
    stale = news("stale", datetime(2022, 1, 25, tzinfo=UTC))
    fresh = news("fresh", datetime(2022, 2, 2, tzinfo=UTC))
    pool.upsert_items(sqlite_ctx.store, [stale, fresh], now=COLLECTED)
    second = draft_new(sqlite_ctx, planned=datetime(2022, 2, 15, 9, 0, tzinfo=AMS))
    assert [i.item_id for s in second.sections for i in s.items] == [fresh.id]
    assert pool.get_item(sqlite_ctx.store, stale.id).status is ItemStatus.NEW


def test_themed_items_beyond_the_general_ones_get_their_own_section(sqlite_ctx: Context) -> None:
    settings = sqlite_ctx.config.editions.model_copy(update={"general_items_max": 2})
    config = sqlite_ctx.config.model_copy(update={"editions": settings})
    ctx = make_context(config, sqlite_ctx.clock, sqlite_ctx.store)  # type: ignore[arg-type]
    items = [
        news("n1", jan(19)),
        news("n2", jan(18), themes=("mensenhandel",)),
        news("n3", jan(17), themes=("huiselijk-geweld", "mensenhandel")),
        news("n4", jan(16)),
        news("n5", jan(15), themes=("mensenhandel",)),
    ]
    pool.upsert_items(ctx.store, items, now=COLLECTED)
    edition = draft_new(ctx, planned=PLANNED)
    by_slug = {s.slug: s for s in edition.sections}
    # Two general items, then the untagged one stays general (it reaches no one otherwise).
    assert ids(by_slug["nieuws"]) == [items[0].id, items[1].id, items[3].id]
    # n3's first theme in configuration order is mensenhandel.
    themed = by_slug["thema-mensenhandel"]
    assert (themed.theme, themed.title) == ("mensenhandel", "Mensenhandel")
    assert ids(themed) == [items[2].id, items[4].id]
    assert [s.slug for s in edition.themed_sections] == ["thema-mensenhandel"]


def test_agenda_window_covers_the_planned_day_and_its_last_day(sqlite_ctx: Context) -> None:
    start, end = agenda_window(sqlite_ctx.config, PLANNED)
    assert start == datetime(2022, 1, 31, 23, 0, tzinfo=UTC)  # midnight in Amsterdam
    assert end.astimezone(AMS).date() == date(2022, 5, 2)


def test_draft_refuses_an_existing_folder(sqlite_ctx: Context) -> None:
    draft_new(sqlite_ctx, "2022-01", planned=PLANNED)
    with pytest.raises(StateError, match="already exists"):
        draft_new(sqlite_ctx, "2022-01", planned=PLANNED)


def test_draft_defaults_and_the_result_lints_with_a_placeholder(sqlite_ctx: Context) -> None:
    edition = draft_new(sqlite_ctx, "riec-special", planned=date(2022, 8, 16))
    assert edition.planned == datetime(2022, 8, 16, 9, 0, tzinfo=AMS)
    assert edition.number == 1
    report = lint_edition(sqlite_ctx, "riec-special")
    codes = {f.code for f in report.errors}
    assert "placeholder" in codes  # the voorwoord is still to be written
    assert "riec-section-missing" in codes


def _edit_first_title(ctx: Context, edition: Edition) -> None:
    folder = ctx.config.newsletters_dir / edition.id
    replace_in(folder / "nieuws.md", "title: Bericht manual", "title: Door de redactie herschreven")
    replace_in(folder / "intro.md", "TODO: schrijf hier het voorwoord.", "Ons voorwoord.")


def test_refresh_adds_what_came_in_and_keeps_edits(sqlite_ctx: Context) -> None:
    names = fill_pool(sqlite_ctx)
    edition = draft_new(sqlite_ctx, planned=PLANNED)
    _edit_first_title(sqlite_ctx, edition)
    arrived = [
        news("arrived", jan(20), title="Net binnen"),
        news("riec-2", jan(20), source="riec-nieuws", brand="riec"),
        event("april", datetime(2022, 4, 4, 13, 0, tzinfo=UTC)),
        event("skipped", datetime(2022, 4, 5, 13, 0, tzinfo=UTC)),
    ]
    pool.upsert_items(sqlite_ctx.store, arrived, now=COLLECTED)
    pool.set_status(sqlite_ctx.store, [arrived[3].id], ItemStatus.SKIPPED)
    report = refresh(sqlite_ctx, edition.id)
    assert report.added == {"nieuws.md": 1, "agenda.md": 1, "riec.md": 1}
    after = load_edition(sqlite_ctx.config, edition.id)
    nieuws = after.sections[0]
    assert nieuws.items[0].title == "Door de redactie herschreven"
    assert nieuws.items[-1].item_id == arrived[0].id  # appended, the editor's order kept
    assert ids(after.riec) == [names["riec"], arrived[1].id]
    assert arrived[2].id in ids(after.agenda)
    assert arrived[3].id not in ids(after.agenda)
    doc = read_folder(sqlite_ctx.config, edition.id)
    assert doc.intro is not None and "Ons voorwoord." in doc.intro
    again = refresh(sqlite_ctx, edition.id)
    assert again.total == 0


def test_refresh_refuses_approved_and_sent_editions(sqlite_ctx: Context) -> None:
    edition = draft_new(sqlite_ctx, planned=PLANNED)
    folder = sqlite_ctx.config.newsletters_dir / edition.id
    replace_in(folder / "edition.yaml", "status: draft", "status: sent")
    with pytest.raises(StateError, match="only a draft"):
        refresh(sqlite_ctx, edition.id)


def test_planned_day_event_before_send_time_is_only_a_warning(sqlite_ctx: Context) -> None:
    fill_pool(sqlite_ctx)
    edition = draft_new(sqlite_ctx, planned=PLANNED)
    report = lint_edition(sqlite_ctx, edition.id)
    started = [f for f in report.findings if f.code == "event-started"]
    assert [f.severity for f in started] == ["warning"]
    assert not [f for f in report.findings if f.code == "event-past"]
    set_status(sqlite_ctx, edition.id, EditionStatus.REVIEW)
    assert sqlite_ctx.clock.now() < PLANNED - timedelta(days=1)


def test_a_var_only_special_for_a_segment(sqlite_ctx: Context) -> None:
    names = fill_pool(sqlite_ctx)
    edition = draft_new(
        sqlite_ctx,
        "cyber-special",
        planned=PLANNED,
        brands=("var",),
        kind="special",
        audience="gemeenten",
        template="special",
    )
    assert (edition.kind, edition.audience, edition.template) == ("special", "gemeenten", "special")
    assert edition.brands == ("var",) and edition.riec is None
    assert edition.subject == "Nieuwsbrief VeiligheidsAlliantie – februari 2022"
    # Without the RIEC brand, RIEC news is ordinary news.
    assert names["riec"] in ids(edition.sections[0])
    with pytest.raises(InputError, match="every edition carries 'var'"):
        draft_new(sqlite_ctx, "x", planned=PLANNED, brands=("riec",))
