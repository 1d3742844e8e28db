"""Dutch dates in feeds: "di, 18 jan 2022 10:00:00 +0100", "3 oktober 2023".

Dutch sites often write RFC 822 dates with Dutch day and month names; feedparser then
silently gives no date at all. :func:`parse_dutch_date` reads them, and
:func:`register` adds it to feedparser's date handlers (once per process). A Dutch date
without a zone is local time in the Netherlands, not UTC.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import feedparser

NETHERLANDS = ZoneInfo("Europe/Amsterdam")

MONTHS = {
    "jan": 1, "januari": 1, "feb": 2, "februari": 2, "mrt": 3, "maa": 3, "maart": 3,
    "apr": 4, "april": 4, "mei": 5, "jun": 6, "juni": 6, "jul": 7, "juli": 7,
    "aug": 8, "augustus": 8, "sep": 9, "sept": 9, "september": 9, "okt": 10,
    "oktober": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
DAYS = (
    "ma", "maa", "maandag", "di", "din", "dinsdag", "wo", "woe", "woensdag", "do", "don",
    "donderdag", "vr", "vrij", "vrijdag", "za", "zat", "zaterdag", "zo", "zon", "zondag",
)  # fmt: skip
ZONES = {"ut": 0, "utc": 0, "gmt": 0, "z": 0, "cet": 60, "cest": 120, "mez": 60, "mesz": 120}

_DUTCH = re.compile(
    r"""^\s*
    (?:(?P<day_name>[a-z]+)\.?,?\s+)?
    (?P<day>\d{1,2})\.?\s+
    (?P<month>[a-z]+)\.?\s+
    (?P<year>\d{4})
    (?:,?\s+(?:om\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?)?
    (?:\s*(?:uur\b)?\s*(?P<zone>[+-]\d{2}:?\d{2}|[a-z]{1,4}))?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_dutch_date(text: str) -> datetime | None:
    """An aware UTC datetime for a Dutch date, or None when ``text`` is not one."""
    match = _DUTCH.match(text.strip().lower())
    if match is None:
        return None
    month = MONTHS.get(match["month"])
    if month is None:
        return None
    day_name = match["day_name"]
    if day_name is not None and day_name not in DAYS:
        return None
    zone = _zone(match["zone"])
    if match["zone"] and zone is None:
        return None
    try:
        local = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=zone or NETHERLANDS,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text[0] in "+-":
        digits = text[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        return timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))
    if text in ZONES:
        return timezone(timedelta(minutes=ZONES[text]))
    return None


def _feedparser_handler(text: str) -> time.struct_time | None:
    parsed = parse_dutch_date(text)
    return parsed.utctimetuple() if parsed else None


_registered = False
_lock = threading.Lock()


def register() -> None:
    """Teach feedparser Dutch dates; harmless to call more than once."""
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
    except (TypeError, ValueError):
        return None
