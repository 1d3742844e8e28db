"""Dates in feeds, right in Europe/Amsterdam (audit 2026-12: M1–M4, H3, L9).

Every form is read through a real feed (RSS ``pubDate``, ``dc:date``, Atom ``updated``)
as well as directly, so what is tested is what lands in the pool.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.sources.conftest import source, with_sources
from varcomms import pool, sources
from varcomms.context import Context
from varcomms.models import ItemKind
from varcomms.sources import SourceStatus
from varcomms.sources.dates import read_date

WINTER = datetime(2022, 1, 10, 9, 0, tzinfo=UTC)  # 10:00 CET
SUMMER = datetime(2022, 6, 10, 8, 0, tzinfo=UTC)  # 10:00 CEST

READABLE = [
    # M1: no zone is local time, whatever the month is called.
    ("2022-01-10T10:00:00", WINTER),
    ("2022-06-10T10:00:00", SUMMER),
    ("2022-06-10T23:30:00", datetime(2022, 6, 10, 21, 30, tzinfo=UTC)),  # stays on the 10th
    ("2022-01-10 10:00:00", WINTER),
    ("2022-01-10", datetime(2022, 1, 9, 23, 0, tzinfo=UTC)),
    ("10 Mar 2022 10:00:00", datetime(2022, 3, 10, 9, 0, tzinfo=UTC)),
    ("10 Jan 2022 10:00:00", WINTER),
    # …and a zone, when given, wins.
    ("2022-01-10T10:00:00Z", datetime(2022, 1, 10, 10, 0, tzinfo=UTC)),
    ("2022-01-10T10:00:00+01:00", WINTER),
    ("2022-01-10T10:00:00.123+0100", WINTER),
    ("Mon, 10 Jan 2022 10:00:00 +0100", WINTER),
    ("Mon, 10 Jan 2022 09:00:00 GMT", WINTER),
    ("Mon, 10 Jan 2022 04:00:00 EST", WINTER),
    # M2: CET/CEST with English weekdays (PHP's date('D, d M Y H:i:s T')).
    ("Mon, 10 Jan 2022 10:00:00 CET", WINTER),
    ("Fri, 10 Jun 2022 10:00:00 CEST", SUMMER),
    # M3: RFC 822 without a zone, and Dutch with "om … uur".
    ("Mon, 10 Jan 2022 10:00:00", WINTER),
    ("Fri, 10 Jun 2022 10:00:00", SUMMER),
    ("10 januari 2022 om 10:00 uur", WINTER),
    ("10 juni 2022, 10:00 uur", SUMMER),
    ("maandag 10 januari 2022 10.00 uur", WINTER),
    ("ma 10 jan 2022", datetime(2022, 1, 9, 23, 0, tzinfo=UTC)),
    ("di, 18 jan 2022 10:00:00 +0100", datetime(2022, 1, 18, 9, 0, tzinfo=UTC)),
    # M4: day first, never a year 2018.
    ("18-01-2022", datetime(2022, 1, 17, 23, 0, tzinfo=UTC)),
    ("18-01-2022 10:00", datetime(2022, 1, 18, 9, 0, tzinfo=UTC)),
    ("18/01/2022", datetime(2022, 1, 17, 23, 0, tzinfo=UTC)),
    ("18.01.2022 10:00:00", datetime(2022, 1, 18, 9, 0, tzinfo=UTC)),
]

UNREADABLE = [
    # L9 and M4: a recognised form that is no date is reported, never normalised.
    ("2022-02-30T10:00:00Z", "not a valid date"),
    ("31-02-2022", "not a valid date"),
    ("01-18-2022", "not a valid date"),  # month-first is not Dutch: not guessed
    ("di, 31 feb 2022", "not a valid date"),
    # H3: the ends of the calendar.
    ("1 jan 0001 00:00 +0100", "out of range"),
    ("31 dec 9999 23:59 -0100", "out of range"),
    ("9999-12-31T23:59:59-01:00", "out of range"),
]


@pytest.mark.parametrize(("text", "expected"), READABLE)
def test_forms_sites_write_are_read_as_local_time(text: str, expected: datetime) -> None:
    reading = read_date(text)
    assert reading is not None and reading.value == expected, text


@pytest.mark.parametrize(("text", "problem"), UNREADABLE)
def test_impossible_dates_are_reported_not_guessed(text: str, problem: str) -> None:
    reading = read_date(text)
    assert reading is not None and reading.value is None
    assert reading.problem is not None and problem in reading.problem


def test_unknown_forms_are_left_to_feedparser() -> None:
    assert read_date("gisteren") is None
    assert read_date("10 foo 2022") is None
    assert read_date("Mon, 10 Jan 2022 10:00:00 XYZ") is None


def rss(pub_dates: list[str], element: str = "pubDate") -> bytes:
    items = "".join(
        f"<item><title>Bericht {n}</title><guid isPermaLink='false'>g{n}</guid>"
        f"<{element}>{text}</{element}></item>"
        for n, text in enumerate(pub_dates)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>'
        f"<link>https://example.nl/</link>{items}</channel></rss>"
    ).encode()


def collect_feed(context: Context, tmp_path: Path, body: bytes, kind: str = "rss") -> list:  # type: ignore[type-arg]
    feed = tmp_path / "feed.xml"
    feed.write_bytes(body)
    with_sources(context, source("f", kind=kind, path=feed))
    return sources.collect(context).sources


@pytest.mark.parametrize("element", ["pubDate", "dc:date"])
def test_dates_land_right_through_a_feed(context: Context, tmp_path: Path, element: str) -> None:
    (line,) = collect_feed(context, tmp_path, rss([t for t, _ in READABLE], element))
    assert (line.status, line.new) == (SourceStatus.OK, len(READABLE))
    found = {i.title: i.published for i in pool.list_items(context.store, source="f")}
    for n, (text, expected) in enumerate(READABLE):
        assert found[f"Bericht {n}"] == expected, text


def test_atom_updated_without_zone_is_local(context: Context, tmp_path: Path) -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
    <title>t</title><id>urn:t</id><updated>2022-01-10T10:00:00</updated>
    <entry><id>urn:t:1</id><title>Een</title><updated>2022-06-10T23:30:00</updated></entry>
    </feed>"""
    collect_feed(context, tmp_path, body)
    (item,) = pool.list_items(context.store, source="f")
    assert item.published == datetime(2022, 6, 10, 21, 30, tzinfo=UTC)


def test_an_unreadable_date_loses_only_that_date(context: Context, tmp_path: Path) -> None:
    # H3 and L9: the entry lands without a date, with a warning; its neighbours are fine.
    body = rss(["Mon, 10 Jan 2022 10:00:00 +0100", *(text for text, _ in UNREADABLE)])
    (line,) = collect_feed(context, tmp_path, body)
    assert (line.status, line.new) == (SourceStatus.WARNING, 1 + len(UNREADABLE))
    assert line.warnings == [
        f"{len(UNREADABLE)} entry(ies) kept without a date: "
        "'2022-02-30T10:00:00Z' is not a valid date (first: 'Bericht 1')"
    ]
    dated = [i for i in pool.list_items(context.store, source="f") if i.published]
    assert [i.title for i in dated] == ["Bericht 0"]


def test_audit_repro_overflow_date(context: Context) -> None:
    path = shared_path("audits", "2026-12", "repro", "overflow-date.xml")
    with_sources(context, source("overflow-date", path=path))
    line = sources.collect(context).source("overflow-date")
    assert (line.status, line.new) == (SourceStatus.WARNING, 2)
    assert "'1 jan 0001 00:00 +0100' is out of range" in line.warnings[0]


def test_event_feed_dates_out_of_range_lose_only_that_event(
    context: Context, tmp_path: Path
) -> None:
    # H3 for ev:startdate: the event cannot be placed, so it is left out with a warning.
    body = b"""<?xml version="1.0"?><rss version="2.0"
      xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>t</title>
      <item><title>Goed</title><guid>e1</guid><ev:startdate>2022-03-01T10:00:00</ev:startdate>
        <ev:enddate>9999-12-31T23:59:59-01:00</ev:enddate></item>
      <item><title>Slecht</title><guid>e2</guid>
        <ev:startdate>9999-12-31T23:59:59-01:00</ev:startdate></item>
      </channel></rss>"""
    (line,) = collect_feed(context, tmp_path, body, kind="event-rss")
    assert (line.status, line.new) == (SourceStatus.WARNING, 1)
    assert line.ignored == {"entries without a date": 1}
    assert any("out of range" in warning for warning in line.warnings)
    (event,) = pool.list_items(context.store, source="f", kind=ItemKind.EVENT)
    assert event.event is not None and event.event.start == datetime(2022, 3, 1, 9, tzinfo=UTC)
    assert event.event.end is None
