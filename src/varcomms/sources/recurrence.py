"""A recurring VEVENT's next occurrence: RRULE, RDATE and EXDATE as calendars write them.

dateutil's ``rrulestr`` refuses an ``UNTIL`` whose kind differs from DTSTART's (a date
with a timed DTSTART, as Outlook/Exchange writes it; local time without ``Z``; UTC on an
all-day series, as Google Calendar writes it). The UNTIL is therefore taken out of the
rule and put back in DTSTART's kind. ``RDATE`` adds occurrences, with or without an
RRULE. A broken RRULE, RDATE or EXDATE loses only that property: the event keeps its
other dates, and :class:`Expansion` says what was lost.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from dateutil.rrule import rrule, rrulestr

# Occurrences walked before today; past this the series is too dense to expand (a
# FREQ=SECONDLY since 1970). Cheap comparisons only, so a daily series since 1900 fits.
MAX_OCCURRENCES = 100_000

_UNTIL = re.compile(r"(?:^|;)UNTIL=[^;]*", re.IGNORECASE)


@dataclass
class Expansion:
    """Where a recurring event lands, and which of its recurrence properties were lost."""

    start: datetime | None  # the next occurrence (UTC), else the last; None: none usable
    unreadable_rule: str | None = None  # why the RRULE could not be used
    problems: list[str] = field(default_factory=list)  # other properties that were lost


def as_utc(value: date, zone: tzinfo) -> datetime:
    """A DATE (local midnight), floating (local) or zoned time as UTC.

    Raises OverflowError for dates at the ends of the calendar (year 1, year 9999).
    """
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0, 0), tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def is_recurring(event: Any) -> bool:
    return "RRULE" in event or "RDATE" in event


def next_occurrence(
    event: Any,
    raw_start: date,
    zone: tzinfo,
    *,
    now: datetime,
    excluded: set[datetime],
) -> Expansion:
    """The first occurrence that has not started by ``now``, else the last one.

    ``excluded`` are cancelled, moved and EXDATE occurrences (UTC); DTSTART itself is
    an occurrence, as RFC 5545 says.
    """
    expansion = Expansion(start=None)
    upcoming: list[datetime] = []
    past: list[datetime] = []

    def consider(moments: Iterable[datetime]) -> None:
        last = None
        for at in moments:
            if at in excluded:
                continue
            if at >= now:
                upcoming.append(at)
                return
            last = at
        if last is not None:
            past.append(last)

    with contextlib.suppress(OverflowError, ValueError):
        consider([as_utc(raw_start, zone)])
    rule = _rule(event, raw_start, zone, expansion)
    if rule is not None:
        try:
            consider(_walk(rule, raw_start, zone, now))
        except (ValueError, TypeError, OverflowError) as err:
            expansion.unreadable_rule = str(err) or type(err).__name__
        except _TooDenseError:
            expansion.unreadable_rule = f"more than {MAX_OCCURRENCES} occurrences before today"
    consider(sorted(_rdates(event, zone, expansion)))
    if upcoming:
        expansion.start = min(upcoming)
    elif past:
        expansion.start = max(past)
    return expansion


def exdates(event: Any, zone: tzinfo, problems: list[str]) -> set[datetime]:
    """The EXDATEs as UTC; an empty or broken EXDATE is left out and noted."""
    return set(_dates(event, "EXDATE", zone, problems))


class _TooDenseError(Exception):
    pass


def _rule(event: Any, raw_start: date, zone: tzinfo, expansion: Expansion) -> Any:
    rules = event.get("RRULE")
    if rules is None:
        return None
    recur = rules[0] if isinstance(rules, list) else rules
    try:
        text = recur.to_ical().decode()
        if not text.strip():  # "RRULE:" with nothing after it: not recurring
            return None
        anchor = _anchor(raw_start, zone)
        rule = rrulestr(_UNTIL.sub("", text).strip(";"), dtstart=anchor)
        until = recur.get("UNTIL")
        if until and isinstance(rule, rrule):  # one RRULE is one rrule, never a set
            value = until[0] if isinstance(until, list) else until
            rule = rule.replace(until=_like_anchor(value, anchor, zone))
        return rule
    except Exception as err:  # dateutil and icalendar raise ValueError, TypeError, …
        expansion.unreadable_rule = str(err) or type(err).__name__
        return None


def _anchor(raw_start: date, zone: tzinfo) -> datetime:
    """DTSTART as dateutil needs it: naive for all-day, zoned for timed events."""
    if not isinstance(raw_start, datetime):
        return datetime.combine(raw_start, time(0, 0))
    if raw_start.tzinfo is None:
        return raw_start.replace(tzinfo=zone)
    return raw_start


def _like_anchor(until: date, anchor: datetime, zone: tzinfo) -> datetime:
    """UNTIL in DTSTART's kind; an UNTIL date includes its whole (local) day."""
    if not isinstance(until, datetime):
        until = datetime.combine(until, time(23, 59, 59))
    if anchor.tzinfo is None:  # all-day: local wall time
        return until.astimezone(zone).replace(tzinfo=None) if until.tzinfo else until
    return until if until.tzinfo else until.replace(tzinfo=zone)


def _walk(rule: Any, raw_start: date, zone: tzinfo, now: datetime) -> Iterator[datetime]:
    """The rule's occurrences as UTC, skipping cheaply through the ones long past."""
    all_day = not isinstance(raw_start, datetime)
    # A day's margin around "now" in the rule's own kind; exact comparisons come after.
    threshold = (now - timedelta(days=1)).astimezone(zone)
    if all_day:
        threshold = threshold.replace(tzinfo=None)
    walked = 0
    previous = None
    for occurrence in rule:
        if occurrence < threshold:
            walked += 1
            if walked > MAX_OCCURRENCES:
                raise _TooDenseError
            previous = occurrence
            continue
        if previous is not None:  # the last one before the margin may be "the last"
            yield as_utc(previous.date() if all_day else previous, zone)
            previous = None
        yield as_utc(occurrence.date() if all_day else occurrence, zone)
    if previous is not None:
        yield as_utc(previous.date() if all_day else previous, zone)


def _rdates(event: Any, zone: tzinfo, expansion: Expansion) -> list[datetime]:
    return _dates(event, "RDATE", zone, expansion.problems)


def _dates(event: Any, name: str, zone: tzinfo, problems: list[str]) -> list[datetime]:
    values = event.get(name)
    if values is None:
        return []
    found: list[datetime] = []
    for value in values if isinstance(values, list) else [values]:
        try:
            entries = value.dts
        except Exception:  # icalendar's vBroken: an empty or unreadable value
            problems.append(f"{name} {_shown(value)} ignored: not a date")
            continue
        for entry in entries:
            moment = entry.dt[0] if isinstance(entry.dt, tuple) else entry.dt  # a PERIOD
            try:
                found.append(as_utc(moment, zone))
            except (OverflowError, ValueError, TypeError):
                problems.append(f"{name} {moment!s} ignored: out of range")
    return found


def _shown(value: Any) -> str:
    try:
        text = value.to_ical().decode(errors="replace")
    except Exception:
        text = str(value)
    return repr(text[:40])
