"""Calendars as Outlook, Google and WordPress export them (audit 2026-12: H1–H3, M5, M6, M9,
L4, L5, L7).

The clock stands at 1 February 2022, 08:00 UTC (09:00 in Amsterdam).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.sources.conftest import FeedServer, source, with_sources
from varcomms import pool, sources
from varcomms.clock import FakeClock
from varcomms.context import Context
from varcomms.models import Item, ItemKind, ItemStatus
from varcomms.sources import SourceReport, SourceStatus

GOOD = ["BEGIN:VEVENT", "UID:goed@test", "SUMMARY:Goed", "DTSTART:20220303T100000Z", "END:VEVENT"]


def ics(*events: list[str], head: tuple[str, ...] = ()) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//NL", *head]
    for event in events:
        lines += event
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def event(uid: str, *lines: str, title: str | None = None) -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title or uid}", *lines, "END:VEVENT"]


def collect_ics(context: Context, tmp_path: Path, text: str | bytes) -> SourceReport:
    calendar = tmp_path / "agenda.ics"
    if isinstance(text, str):
        calendar.write_text(text, encoding="utf-8")
    else:
        calendar.write_bytes(text)
    with_sources(context, source("agenda", kind="ical", path=calendar))
    return sources.collect(context).source("agenda")


def events(context: Context) -> dict[str, Item]:
    return {i.title: i for i in pool.list_items(context.store, source="agenda")}


def start_of(context: Context, title: str) -> datetime:
    found = events(context)[title].event
    assert found is not None
    return found.start


# -- H2, H3: a bad property or date loses only itself ---------------------------------------


@pytest.mark.parametrize(
    ("name", "lost"),
    [("empty-exdate.ics", "EXDATE"), ("dotnet-minvalue.ics", "DTSTART 0001-01-01T00:00:00")],
)
def test_audit_repro_calendars_land_their_good_event(
    context: Context, name: str, lost: str
) -> None:
    path = shared_path("audits", "2026-12", "repro", name)
    with_sources(context, source("repro", kind="ical", path=path))
    line = sources.collect(context).source("repro")
    assert line.status is SourceStatus.WARNING
    titles = {i.title for i in pool.list_items(context.store, source="repro")}
    assert "Goed" in titles
    assert any(lost in warning for warning in line.warnings), line.warnings


@pytest.mark.parametrize(
    ("lines", "warning"),
    [
        (["EXDATE;VALUE=DATE:"], "EXDATE"),
        (["EXDATE:nonsense"], "EXDATE"),
        (["RDATE:nonsense"], "RDATE"),
        (["RDATE:20220301T100000Z", "RDATE;VALUE=DATE:2022-13-45"], "RDATE"),
    ],
    ids=["empty-exdate", "broken-exdate", "broken-rdate", "one-of-two-rdates"],
)
def test_a_broken_exdate_or_rdate_loses_only_that_property(
    context: Context, tmp_path: Path, lines: list[str], warning: str
) -> None:
    series = event(
        "reeks", "DTSTART;VALUE=DATE:20220207", "RRULE:FREQ=WEEKLY;COUNT=4", *lines, title="Reeks"
    )
    line = collect_ics(context, tmp_path, ics(GOOD, series))
    assert line.status is SourceStatus.WARNING and line.new == 2
    assert any(warning in w and "Reeks" in w for w in line.warnings), line.warnings
    # The series itself still expands: the 7th February is its next date.
    assert start_of(context, "Reeks") == datetime(2022, 2, 6, 23, tzinfo=UTC)


def test_an_empty_rdate_is_nothing(context: Context, tmp_path: Path) -> None:
    # icalendar drops an empty RDATE itself: the event keeps its own date.
    series = event("leeg", "DTSTART;VALUE=DATE:20220207", "RDATE;VALUE=DATE:", title="Leeg")
    line = collect_ics(context, tmp_path, ics(GOOD, series))
    assert (line.status, line.new) == (SourceStatus.OK, 2)
    assert start_of(context, "Leeg") == datetime(2022, 2, 6, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "rule", ["RRULE:FREQ=WEEKLY;UNTIL=nonsense", "RRULE:FREQ=NEVER", "RRULE:BYDAY=XX"]
)
def test_a_broken_rrule_keeps_the_event_at_its_own_date_and_says_so(
    context: Context, tmp_path: Path, rule: str
) -> None:
    coming = event("komt", "DTSTART:20220401T100000Z", rule, title="Komt nog")
    past = event("was", "DTSTART:20210401T100000Z", rule, title="Was al")
    line = collect_ics(context, tmp_path, ics(GOOD, coming, past))
    assert line.status is SourceStatus.WARNING
    assert set(events(context)) == {"Goed", "Komt nog"}
    # M5: the warning tells what happened, including the event that disappeared.
    (warning,) = [w for w in line.warnings if "RRULE" in w]
    assert warning.startswith("2 event(s) with an RRULE that cannot be expanded")
    assert warning.endswith(
        "only their own dates are used, 1 of them left out because that date has passed"
    )
    assert line.ignored == {"past events": 1}


@pytest.mark.parametrize(
    "start",
    [
        "DTSTART:00010101T000000",  # .NET DateTime.MinValue, floating
        "DTSTART;TZID=America/New_York:99991231T230000",
        "DTSTART;TZID=Asia/Tokyo:00010101T050000",
    ],
)
def test_a_start_out_of_range_loses_only_that_event(
    context: Context, tmp_path: Path, start: str
) -> None:
    line = collect_ics(context, tmp_path, ics(GOOD, event("rand", start)))
    assert (line.status, line.new) == (SourceStatus.WARNING, 1)
    assert any("out of range" in warning for warning in line.warnings)


def test_an_end_out_of_range_loses_only_the_end(context: Context, tmp_path: Path) -> None:
    text = ics(
        event(
            "eind",
            "DTSTART:20220303T100000Z",
            "DTEND;TZID=America/New_York:99991231T230000",
            title="Eind",
        )
    )
    line = collect_ics(context, tmp_path, text)
    assert (line.status, line.new) == (SourceStatus.WARNING, 1)
    found = events(context)["Eind"].event
    assert found is not None and found.end is None


# -- M5, L7: recurring events are complete --------------------------------------------------

NEXT_MONDAY = datetime(2022, 2, 7, 9, 0, tzinfo=UTC)  # Monday 7 February, 10:00 CET


@pytest.mark.parametrize(
    "lines",
    [
        # Outlook/Exchange: UNTIL as a DATE on a timed series.
        ["DTSTART;TZID=Europe/Amsterdam:20220103T100000", "RRULE:FREQ=WEEKLY;UNTIL=20221201"],
        # Local time without Z.
        [
            "DTSTART;TZID=Europe/Amsterdam:20220103T100000",
            "RRULE:FREQ=WEEKLY;UNTIL=20221201T235959",
        ],
        # The RFC's own form.
        [
            "DTSTART;TZID=Europe/Amsterdam:20220103T100000",
            "RRULE:FREQ=WEEKLY;UNTIL=20221201T225959Z",
        ],
        # Floating start, UTC until.
        ["DTSTART:20220103T100000", "RRULE:FREQ=WEEKLY;UNTIL=20221201T090000Z"],
        # UNTIL on the very day of the next occurrence: inclusive.
        ["DTSTART;TZID=Europe/Amsterdam:20220103T100000", "RRULE:FREQ=WEEKLY;UNTIL=20220207"],
    ],
    ids=["outlook-date", "local", "utc", "floating", "inclusive"],
)
def test_until_in_every_form_expands(context: Context, tmp_path: Path, lines: list[str]) -> None:
    line = collect_ics(context, tmp_path, ics(event("wekelijks", *lines, title="Wekelijks")))
    assert (line.status, line.warnings) == (SourceStatus.OK, [])
    assert start_of(context, "Wekelijks") == NEXT_MONDAY


@pytest.mark.parametrize(
    "until", ["UNTIL=20221201T225959Z", "UNTIL=20221201", "UNTIL=20221201T235959"]
)
def test_until_on_an_all_day_series_expands(context: Context, tmp_path: Path, until: str) -> None:
    # Google Calendar writes UTC on all-day series; dateutil refused it.
    text = ics(event("dag", "DTSTART;VALUE=DATE:20220103", f"RRULE:FREQ=WEEKLY;{until}"))
    line = collect_ics(context, tmp_path, text)
    assert (line.status, line.warnings) == (SourceStatus.OK, [])
    assert start_of(context, "dag") == datetime(2022, 2, 6, 23, tzinfo=UTC)


def test_a_series_that_has_ended_is_past(context: Context, tmp_path: Path) -> None:
    lines = ["DTSTART;TZID=Europe/Amsterdam:20220103T100000", "RRULE:FREQ=WEEKLY;UNTIL=20220124"]
    line = collect_ics(context, tmp_path, ics(GOOD, event("klaar", *lines)))
    assert (line.status, line.warnings, line.ignored) == (SourceStatus.OK, [], {"past events": 1})


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # L7: a past DTSTART plus a future RDATE.
        (
            ["DTSTART:20210101T100000Z", "RDATE:20220301T100000Z"],
            datetime(2022, 3, 1, 10, tzinfo=UTC),
        ),
        (
            ["DTSTART:20210101T100000Z", "RDATE;VALUE=PERIOD:20220401T100000Z/PT2H"],
            datetime(2022, 4, 1, 10, tzinfo=UTC),
        ),
        (
            ["DTSTART;VALUE=DATE:20210101", "RDATE;VALUE=DATE:20220301,20220401"],
            datetime(2022, 2, 28, 23, tzinfo=UTC),
        ),
        # RDATE next to an RRULE: the earlier of the two.
        (
            ["DTSTART:20220103T100000Z", "RRULE:FREQ=MONTHLY;COUNT=3", "RDATE:20220202T100000Z"],
            datetime(2022, 2, 2, 10, tzinfo=UTC),
        ),
        # An excluded RDATE does not count.
        (
            [
                "DTSTART:20210101T100000Z",
                "RDATE:20220301T100000Z,20220308T100000Z",
                "EXDATE:20220301T100000Z",
            ],
            datetime(2022, 3, 8, 10, tzinfo=UTC),
        ),
        # L7: a daily series since 1960 is still running.
        (["DTSTART:19600101T100000Z", "RRULE:FREQ=DAILY"], datetime(2022, 2, 1, 10, tzinfo=UTC)),
    ],
    ids=["rdate", "period", "dates", "with-rrule", "exdate", "since-1960"],
)
def test_rdate_adds_occurrences(
    context: Context, tmp_path: Path, lines: list[str], expected: datetime
) -> None:
    line = collect_ics(context, tmp_path, ics(event("extra", *lines, title="Extra")))
    assert (line.status, line.warnings) == (SourceStatus.OK, [])
    assert start_of(context, "Extra") == expected


def test_a_series_too_dense_to_walk_is_reported(context: Context, tmp_path: Path) -> None:
    lines = ["DTSTART:19700101T000000Z", "RRULE:FREQ=SECONDLY"]
    line = collect_ics(context, tmp_path, ics(GOOD, event("druk", *lines)))
    assert line.status is SourceStatus.WARNING
    assert any("occurrences before today" in warning for warning in line.warnings)


# -- H1: an event is its own item -----------------------------------------------------------


def test_a_new_event_never_inherits_a_past_one(
    context: Context, tmp_path: Path, clock: FakeClock
) -> None:
    # The audit's reproduction: every occurrence has its own UID (WordPress plugins).
    def leerhuis(uid: str, day: str) -> list[str]:
        return event(uid, f"DTSTART:202202{day}T100000Z", title="Leerhuis Ondermijning")

    march, april = (
        leerhuis("leerhuis-maart@example", "01"),
        leerhuis("leerhuis-april@example", "15"),
    )
    assert collect_ics(context, tmp_path, ics(march, april)).new == 2
    first = min(events_list(context), key=lambda i: i.event.start if i.event else NOW)
    pool.skip_item(context.store, first.id)
    clock.advance(days=1)  # the first one is over
    may = leerhuis("leerhuis-mei@example", "22")
    line = collect_ics(context, tmp_path, ics(march, april, may))
    assert (line.new, line.updated) == (1, 0)
    found = {i.event.uid: i for i in events_list(context) if i.event}
    assert found["leerhuis-maart@example"].status is ItemStatus.SKIPPED
    assert found["leerhuis-mei@example"].status is ItemStatus.NEW
    assert found["leerhuis-mei@example"].id != first.id


NOW = datetime(2022, 2, 1, 8, tzinfo=UTC)


def events_list(context: Context) -> list[Item]:
    return pool.list_items(context.store, source="agenda", kind=ItemKind.EVENT)


# -- M6, M9, L4, L5: text is text -----------------------------------------------------------


def test_outlook_html_description_is_unescaped(context: Context, tmp_path: Path) -> None:
    alt = r"X-ALT-DESC;FMTTYPE=text/html:<p>Beste lezer\, welkom\; tot ziens</p>\n<p>Regel 2</p>"
    text = ics(
        event("outlook", "DTSTART:20220303T100000Z", r"DESCRIPTION:Beste lezer\, welkom", alt)
    )
    collect_ics(context, tmp_path, text)
    assert events(context)["outlook"].summary_html == (
        "<p>Beste lezer, welkom; tot ziens</p>\n<p>Regel 2</p>"
    )


def test_text_description_escapes_are_undone(context: Context, tmp_path: Path) -> None:
    text = ics(
        event("tekst", "DTSTART:20220303T100000Z", r"DESCRIPTION:Een\, twee\; drie\nvier \\ vijf")
    )
    collect_ics(context, tmp_path, text)
    assert events(context)["tekst"].summary_html == "<p>Een, twee; drie<br>vier \\ vijf</p>"


def test_relative_links_resolve_against_the_calendar(
    context: Context, feed_server: FeedServer
) -> None:
    # M9: without an event URL, the calendar's own URL is the base.
    alt = 'X-ALT-DESC;FMTTYPE=text/html:<a href="/agenda/inschrijven">Inschrijven</a>'
    text = ics(
        event("zonder", "DTSTART:20220303T100000Z", alt),
        event("met", "DTSTART:20220303T100000Z", "URL:https://example.nl/e/1", alt),
        event("tekst", "DTSTART:20220303T100000Z", "URL:/agenda/tekst"),
    )
    url = feed_server.add("/cal/agenda.ics", body=text.encode(), content_type="text/calendar")
    with_sources(context, source("agenda", kind="ical", url=url))
    assert sources.collect(context).source("agenda").new == 3
    found = events(context)
    assert f'href="{feed_server.url("/agenda/inschrijven")}"' in found["zonder"].summary_html
    assert 'href="https://example.nl/agenda/inschrijven"' in found["met"].summary_html
    assert found["tekst"].url == feed_server.url("/agenda/tekst")


def test_a_latin1_calendar_decodes(context: Context, tmp_path: Path) -> None:
    # L5: stored as "Caf\ufffd in Belgi\ufffd" before.
    text = ics(event("latin", "DTSTART:20220303T100000Z", title="Café in België"))
    line = collect_ics(context, tmp_path, text.encode("latin-1"))
    assert line.status is SourceStatus.OK
    assert "Café in België" in events(context)


def test_binary_garbage_is_escaped_in_the_reason(context: Context, tmp_path: Path) -> None:
    # L4: the raw bytes went into the report, table and JSON.
    garbage = b"BEGIN:VCALENDAR\r\n\x01\x02\xff\xfe:\x00\r\nEND:VCALENDAR\r\n"
    line = collect_ics(context, tmp_path, garbage)
    assert line.status is SourceStatus.FAILED
    assert line.message is not None
    assert all(ch.isprintable() for ch in line.message), line.message
    assert "\ufffd" not in line.message


def test_concatenated_calendars_are_one_agenda(context: Context, tmp_path: Path) -> None:
    # Audit (info): a file with two VCALENDAR blocks was rejected as a whole.
    two = ics(GOOD) + ics(event("tweede", "DTSTART:20220404T100000Z", title="Tweede"))
    line = collect_ics(context, tmp_path, two)
    assert (line.status, line.new) == (SourceStatus.OK, 2)
    assert set(events(context)) == {"Goed", "Tweede"}


def test_a_broken_exdate_is_reported_once(context: Context) -> None:
    path = shared_path("audits", "2026-12", "repro", "empty-exdate.ics")
    with_sources(context, source("repro", kind="ical", path=path))
    line = sources.collect(context).source("repro")
    assert line.warnings == ["event 'Lege EXDATE': EXDATE '' ignored: not a date"]
    assert {i.title for i in pool.list_items(context.store, source="repro")} == {
        "Goed",
        "Lege EXDATE",
    }
