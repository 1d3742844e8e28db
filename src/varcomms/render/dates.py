"""Dutch dates, times and numbers for everything a subscriber reads (Babel, locale nl)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "nl_NL"


def _local(value: datetime | date, tz: tzinfo) -> datetime | date:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(tz)
    return value


@lru_cache(maxsize=256)
def long_date(value: datetime | date, tz: tzinfo, *, weekday: bool = False) -> str:
    """'15 februari 2022', or 'dinsdag 15 februari 2022' with ``weekday``."""
    pattern = "EEEE d MMMM y" if weekday else "d MMMM y"
    return format_date(_local(value, tz), pattern, locale=LOCALE)


@lru_cache(maxsize=256)
def day_month(value: datetime | date, tz: tzinfo) -> str:
    """'19 mei'."""
    return format_date(_local(value, tz), "d MMMM", locale=LOCALE)


@lru_cache(maxsize=256)
def month_year(value: datetime | date, tz: tzinfo) -> str:
    """'februari 2022'."""
    return format_date(_local(value, tz), "LLLL y", locale=LOCALE)


def number(value: float) -> str:
    """'1.250' — Dutch digit grouping and decimal comma."""
    return format_decimal(value, locale=LOCALE)


@dataclass(frozen=True, slots=True)
class EventDates:
    """What the agenda shows of an event's time, already in Dutch and local time."""

    badge_day: str  # "19"
    badge_month: str  # "mei"
    date: str  # "donderdag 19 mei 2022" or "19 – 20 mei 2022"
    time: str | None  # "09:00 – 16:30 uur"; None for all-day events

    @property
    def line(self) -> str:
        return f"{self.date}, {self.time}" if self.time else self.date


@lru_cache(maxsize=256)
def event_dates(start: datetime, end: datetime | None, all_day: bool, tz: tzinfo) -> EventDates:
    first = _local(start, tz)
    last = _local(end, tz) if end is not None else None
    badge_month = format_date(first, "MMM", locale=LOCALE).rstrip(".")
    first_day = first.date() if isinstance(first, datetime) else first
    last_day = last.date() if isinstance(last, datetime) else last
    if all_day and last_day is not None and isinstance(end, datetime) and last_day > first_day:
        # iCalendar all-day ends are exclusive: an event on the 19th ends on the 20th.
        last_day = date.fromordinal(last_day.toordinal() - 1)
    if last_day is not None and last_day > first_day:
        if (first_day.year, first_day.month) == (last_day.year, last_day.month):
            shown = f"{first_day.day} – {long_date(last_day, tz)}"
        else:
            shown = f"{day_month(first_day, tz)} – {long_date(last_day, tz)}"
    else:
        shown = long_date(first_day, tz, weekday=True)
    time = None
    if not all_day and isinstance(first, datetime):
        time = f"{first:%H:%M}"
        if isinstance(last, datetime) and last_day == first_day and last != first:
            time += f" – {last:%H:%M}"
        time += " uur"
    return EventDates(badge_day=str(first_day.day), badge_month=badge_month, date=shown, time=time)
