"""Dates in feeds as Dutch and international sites really write them.

feedparser reads a date without a zone as UTC, does not know ``CET``/``CEST``, gives no
date for Dutch day and month names, and reads ``18-01-2022`` as a day in 2018. The forms
below are therefore read here first, and feedparser's reading is used only for a form
this module does not know:

* ISO 8601 / W3C: ``2022-01-10``, ``2022-01-10T10:00:00``, ``2022-01-10 10:00+01:00``;
* RFC 822 with English or Dutch day and month names, with or without a zone (numeric,
  ``GMT``, ``CET``, ``CEST``, US zones): ``Mon, 10 Jan 2022 10:00:00 CET``,
  ``ma 10 jan 2022``, ``10 januari 2022 om 10:00 uur``;
* Dutch numeric dates, day first: ``18-01-2022``, ``18-01-2022 10:00``, ``18.01.2022``.

A date without a zone is local time in the Netherlands (the configured zone), whatever
the month is called. A form that is recognised but cannot be a date (``2022-02-30``,
year 1 in a zone east of UTC) is reported as a problem, never guessed.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import feedparser

NETHERLANDS = ZoneInfo("Europe/Amsterdam")

MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2,
    "mrt": 3, "maa": 3, "maart": 3, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "mei": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "augustus": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip
DAYS = frozenset({
    "ma", "maa", "maandag", "di", "din", "dinsdag", "wo", "woe", "woensdag", "do", "don",
    "donderdag", "vr", "vrij", "vrijdag", "za", "zat", "zaterdag", "zo", "zon", "zondag",
    "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
    "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday",
})  # fmt: skip
# Zone names in minutes east of UTC: RFC 822's own, and the ones PHP's date('T') writes.
ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 60, "bst": 60,
    "cet": 60, "cest": 120, "mez": 60, "mesz": 120,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300,
    "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
}  # fmt: skip

_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2})(?:[.,]\d+)?)?"
_ZONE = r"(?P<zone>[+-]\d{2}:?\d{2}|[+-]\d{2}|[a-z]{1,4})"

_ISO = re.compile(
    rf"""^(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})
    (?:(?:t|\s+){_TIME})?
    (?:\s*{_ZONE})?$""",
    re.VERBOSE,
)
_WORDS = re.compile(
    rf"""^(?:(?P<day_name>[a-z]+)\.?,?\s+)?
    (?P<day>\d{{1,2}})\.?\s+
    (?P<month>[a-z]+)\.?\s+
    (?P<year>\d{{4}})
    (?:,?\s+(?:om\s+)?{_TIME}(?:\s*uur\b)?)?
    (?:\s*{_ZONE})?$""",
    re.VERBOSE,
)
_NUMERIC = re.compile(
    rf"""^(?:(?P<day_name>[a-z]+)\.?,?\s+)?
    (?P<day>\d{{1,2}})(?P<sep>[-/.])(?P<month>\d{{1,2}})(?P=sep)(?P<year>\d{{4}})
    (?:,?\s+(?:om\s+)?{_TIME}(?:\s*uur\b)?)?
    (?:\s*{_ZONE})?$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class DateReading:
    """A recognised date: its value as aware UTC, or why it cannot be one."""

    value: datetime | None
    problem: str | None = None


def read_date(text: str, zone: tzinfo = NETHERLANDS) -> DateReading | None:
    """Read ``text`` in one of the module's forms; None when it is none of them.

    ``zone`` is the local time zone that dates without a zone are in.
    """
    cleaned = " ".join(text.strip().lower().split())
    for pattern in (_ISO, _WORDS, _NUMERIC):
        match = pattern.match(cleaned)
        if match is not None:
            return _reading(match, text.strip(), zone)
    return None


def parse_dutch_date(text: str, zone: tzinfo = NETHERLANDS) -> datetime | None:
    """An aware UTC datetime for ``text``, or None when it is not a readable date."""
    reading = read_date(text, zone)
    return reading.value if reading is not None else None


def _reading(match: re.Match[str], original: str, local: tzinfo) -> DateReading | None:
    groups = match.groupdict()
    month_text = groups["month"]
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text)
    if month is None:
        return None  # "10 foo 2022": some other language; feedparser may know it
    day_name = groups.get("day_name")
    if day_name is not None and day_name not in DAYS:
        return None
    zone: tzinfo = local
    if groups["zone"]:
        found = _zone(groups["zone"])
        if found is None:
            return None  # an unknown zone name: not a form we can read with certainty
        zone = found
    try:
        moment = datetime(
            int(groups["year"]),
            month,
            int(groups["day"]),
            int(groups["hour"] or 0),
            int(groups["minute"] or 0),
            int(groups["second"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return DateReading(None, f"{original!r} is not a valid date")
    try:
        return DateReading(moment.astimezone(UTC))
    except (OverflowError, ValueError):
        return DateReading(None, f"{original!r} is out of range")


def _zone(text: str) -> timezone | None:
    if text[0] in "+-":
        digits = text[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
        if minutes >= 24 * 60:
            return None
        return timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))
    if text in ZONES:
        return timezone(timedelta(minutes=ZONES[text]))
    return None


def _feedparser_handler(text: str) -> time.struct_time | None:
    reading = read_date(text)
    return reading.value.utctimetuple() if reading is not None and reading.value else None


_registered = False
_lock = threading.Lock()


def register() -> None:
    """Put this module's reading in front of feedparser's; harmless to call twice."""
    global _registered
    with _lock:
        if not _registered:
            feedparser.registerDateHandler(_feedparser_handler)
            _registered = True


def struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's ``*_parsed`` values are UTC struct_times; make them aware datetimes."""
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
