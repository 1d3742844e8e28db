"""Manual Markdown items and iCalendar agendas."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.sources.conftest import FIXTURES, source, with_sources
from varcomms import pool, sources
from varcomms.clock import FakeClock
from varcomms.context import Context
from varcomms.models import Item, ItemKind, ItemStatus
from varcomms.sources import SourceStatus

NEVER = datetime.min.replace(tzinfo=UTC)


def by_title(found: list[Item], start: str) -> Item:
    (item,) = [i for i in found if i.title.startswith(start)]
    return item


def test_manual_items_from_markdown(context: Context) -> None:
    with_sources(context, source("redactie", kind="manual", path=FIXTURES / "manual", brand="var"))
    report = sources.collect(context)
    assert report.source("redactie").status is SourceStatus.OK
    found = pool.list_items(context.store, source="redactie")
    campaign = by_title(found, "Vriend-in-nood")
    assert campaign.kind is ItemKind.CAMPAIGN
    assert campaign.published == datetime(2022, 1, 19, 8, 0, tzinfo=UTC)
    assert campaign.image_url == "https://politie.example.nl/binaries/vriend-in-nood.jpg"
    assert campaign.image_alt == "Telefoon met een WhatsApp-bericht"
    assert campaign.summary_html == (
        "<p>Oplichters doen zich voor als <strong>zoon of dochter</strong>. Lees "
        '<a href="https://politie.example.nl/themas/fraude" rel="noopener noreferrer">meer</a>.'
        "</p>\n<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert "cybercriminaliteit" in campaign.themes
    note = by_title(found, "Notitie")
    assert note.kind is ItemKind.MANUAL and note.url == ""
    # A date without a time is midnight in the configured zone (Europe/Amsterdam).
    assert note.published == datetime(2022, 1, 27, 23, 0, tzinfo=UTC)
    event = by_title(found, "Voorjaarscarrousel")
    assert event.kind is ItemKind.EVENT and event.event is not None
    assert event.event.start == datetime(2022, 3, 24, 12, 0, tzinfo=UTC)
    assert event.event.location == "Stadhuis Rotterdam"


def test_broken_manual_files_are_named_and_the_good_one_lands(context: Context) -> None:
    folder = FIXTURES / "manual-broken"
    with_sources(context, source("redactie", kind="manual", path=folder))
    report = sources.collect(context).source("redactie")
    assert report.status is SourceStatus.WARNING
    assert report.new == 1
    warnings = "\n".join(report.warnings)
    assert f"{folder / 'kapot.md'}:3: front matter is not valid YAML" in warnings
    assert f"{folder / 'geen-kop.md'}:1: no front matter" in warnings
    assert f"{folder / 'onbekende-sleutel.md'}:3: dat: unknown key" in warnings
    assert "unknown theme(s) bestaat-niet" in warnings
    (good,) = pool.list_items(context.store, source="redactie")
    assert good.themes == ("privacy",)


def test_agenda_times_all_day_floating_and_recurring(context: Context) -> None:
    with_sources(context, source("agenda", kind="ical", path=FIXTURES / "agenda.ics"))
    report = sources.collect(context).source("agenda")
    assert report.status is SourceStatus.OK, report
    assert report.ignored == {"cancelled events": 1, "past events": 1}
    found = pool.list_items(context.store, source="agenda", kind=ItemKind.EVENT)
    webinar = by_title(found, "Webinar")
    assert webinar.event is not None
    assert webinar.event.start == datetime(2022, 2, 15, 13, 0, tzinfo=UTC)
    assert webinar.event.end == datetime(2022, 2, 15, 14, 30, tzinfo=UTC)
    assert webinar.event.location == "Online (Teams)"
    assert webinar.url == "https://test.example.nl/agenda/webinar/"
    assert webinar.summary_html == "<p>Wat mag, wat werkt?<br>En hoe deel je beelden?</p>"
    assert webinar.themes == ("kennisbijeenkomsten", "privacy")
    conference = by_title(found, "Regionale")
    assert conference.event is not None and conference.event.all_day
    # Local midnight of 19 May (CEST) and no end: a one-day event.
    assert conference.event.start == datetime(2022, 5, 18, 22, 0, tzinfo=UTC)
    assert conference.event.end is None
    assert conference.event.location == "De Doelen, Rotterdam"
    two_days = by_title(found, "Tweedaagse")
    assert two_days.event is not None and two_days.event.end == datetime(2022, 6, 7, 22, tzinfo=UTC)
    floating = by_title(found, "Avond met zwevende tijd")
    assert floating.event is not None
    assert floating.event.start == datetime(2022, 3, 1, 18, 0, tzinfo=UTC)  # X-WR-TIMEZONE
    weekly = by_title(found, "Wekelijks spreekuur")
    assert weekly.event is not None
    # Next Monday after 1 February 2022 is 7 February, excluded by EXDATE: so the 14th.
    assert weekly.event.start == datetime(2022, 2, 14, 9, 0, tzinfo=UTC)
    assert weekly.event.end == datetime(2022, 2, 14, 10, 0, tzinfo=UTC)


def test_an_event_with_a_new_uid_on_another_day_is_a_new_item(
    context: Context, tmp_path: Path
) -> None:
    # Issue 13: identity is the UID; a title match never crosses days. The old row keeps
    # its own date and status, so nothing an editor decided moves to another event.
    calendar = tmp_path / "agenda.ics"
    shutil.copy(FIXTURES / "agenda.ics", calendar)
    with_sources(context, source("agenda", kind="ical", path=calendar))
    sources.collect(context)
    before = by_title(pool.list_items(context.store, source="agenda"), "Regionale")
    pool.skip_item(context.store, before.id)
    # The organiser moved the conference; the calendar gave it a new UID.
    shutil.copy(FIXTURES / "agenda-rescheduled.ics", calendar)
    report = sources.collect(context).source("agenda")
    assert (report.new, report.updated) == (1, 1)  # the conference; the webinar's details
    found = [i for i in pool.list_items(context.store, source="agenda") if "Regionale" in i.title]
    old, new = sorted(found, key=lambda i: i.event.start if i.event else NEVER)
    assert (old.id, old.status) == (before.id, ItemStatus.SKIPPED)
    assert new.event is not None and new.event.start == datetime(2022, 5, 23, 22, 0, tzinfo=UTC)
    assert (new.event.uid, new.status) == ("conferentie-verzet@test", ItemStatus.NEW)


def test_events_with_the_same_title_are_not_merged(context: Context, tmp_path: Path) -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//NL"]
    for day in (7, 14, 21):
        lines += [
            "BEGIN:VEVENT",
            f"UID:leerhuis-{day}@test",
            f"DTSTART:202203{day:02d}T120000Z",
            "SUMMARY:Leerhuisbijeenkomst",
            "END:VEVENT",
        ]
    calendar = tmp_path / "leerhuis.ics"
    calendar.write_text("\r\n".join([*lines, "END:VCALENDAR", ""]), encoding="utf-8")
    with_sources(context, source("agenda", kind="ical", path=calendar))
    assert sources.collect(context).source("agenda").new == 3
    assert sources.collect(context).source("agenda").unchanged == 3
    assert len(pool.list_items(context.store, source="agenda")) == 3


def test_past_events_are_not_offered(context: Context) -> None:
    assert isinstance(context.clock, FakeClock)
    context.clock.advance(days=365)
    with_sources(context, source("agenda", kind="ical", path=FIXTURES / "agenda.ics"))
    report = sources.collect(context).source("agenda")
    # Only the weekly series goes on; its next occurrence is after the new "now".
    found = pool.list_items(context.store, source="agenda")
    assert [i.title for i in found] == ["Wekelijks spreekuur"]
    assert found[0].event is not None
    assert context.clock.now() <= found[0].event.start < context.clock.now() + timedelta(days=7)
    assert report.ignored["past events"] == 5
