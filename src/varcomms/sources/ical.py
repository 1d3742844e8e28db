"""``kind = "ical"``: an agenda as an iCalendar feed (``.ics``), read with icalendar.

Times become UTC: a ``TZID`` (an Olson name or the calendar's own VTIMEZONE) is honoured;
floating times are local to the calendar's ``X-WR-TIMEZONE``, else to the configured
time zone; all-day events start at local midnight of their first day, and their ``end``
is midnight of their *last* day (None for a one-day event), not iCalendar's exclusive
end. A recurring event is one item at its next occurrence; cancelled occurrences and
``EXDATE`` are skipped, and a moved occurrence (``RECURRENCE-ID``) is its own item.
Past events are not offered.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from dateutil.rrule import rrulestr

from varcomms.config import SourceConfig
from varcomms.errors import SourceError
from varcomms.models import EventInfo, Item, ItemKind
from varcomms.sanitize import absolute_url, sanitize_html
from varcomms.sources.base import Batch, SourceEnv, event_is_past, read_document, register
from varcomms.sources.feeds import TITLE_MAX, _text_as_html, plain_text
from varcomms.sources.http import Document, Validators

# Occurrences walked to find the next one; guards against FREQ=SECONDLY since 1970.
MAX_OCCURRENCES = 20_000


@register("ical")
class Agenda:
    def __init__(self, config: SourceConfig, env: SourceEnv, validators: Validators) -> None:
        self.config = config
        self.env = env
        self.validators = validators
        self._unreadable_rules: list[str] = []

    def fetch(self) -> Batch:
        document = read_document(self.config, self.env, self.validators)
        batch = Batch(warnings=list(document.notes), validators=document.validators)
        if document.not_modified:
            batch.not_modified = True
            return batch
        calendar = parse_calendar(document)
        zone = self._calendar_zone(calendar, batch)
        events = list(calendar.walk("VEVENT"))
        cancelled = _occurrences(events, zone, cancelled=True)
        overridden = _occurrences(events, zone, cancelled=False)
        skipped: Counter[str] = Counter()
        for component in events:
            if str(component.get("STATUS", "")).upper() == "CANCELLED":
                batch.ignored["cancelled events"] += 1
                continue
            try:
                item = self._item(component, zone, cancelled, overridden, batch)
            except _UnusableEventError as why:
                skipped[str(why)] += 1
                continue
            if item.event is not None and event_is_past(item.event, self.env.now):
                batch.ignored["past events"] += 1
                continue
            batch.items.append(item)
        for reason, count in skipped.items():
            batch.warnings.append(f"{count} event(s) skipped: {reason}")
        if self._unreadable_rules:
            first = self._unreadable_rules[0]
            batch.warnings.append(
                f"{len(self._unreadable_rules)} event(s) with an unreadable RRULE (first: "
                f"{first!r}) are shown at their first date"
            )
        return batch

    def _calendar_zone(self, calendar: Any, batch: Batch) -> tzinfo:
        name = str(calendar.get("X-WR-TIMEZONE", "") or "").strip()
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                batch.warnings.append(
                    f"unknown X-WR-TIMEZONE {name!r}; using {self.env.config.timezone}"
                )
        return self.env.config.tz

    def _item(
        self,
        event: Any,
        zone: tzinfo,
        cancelled: dict[str, set[datetime]],
        overridden: dict[str, set[datetime]],
        batch: Batch,
    ) -> Item:
        for _name, problem in getattr(event, "errors", ()) or ():
            batch.warnings.append(f"event {_summary(event) or '(untitled)'}: {problem}")
        raw_start = _decoded(event, "DTSTART")
        if not isinstance(raw_start, date):
            raise _UnusableEventError("no valid DTSTART")
        all_day = not isinstance(raw_start, datetime)
        raw_end = _decoded(event, "DTEND")
        if not isinstance(raw_end, date):
            duration = _decoded(event, "DURATION")
            raw_end = raw_start + duration if isinstance(duration, timedelta) else None
        uid = str(event.get("UID", "") or "").strip()
        recurrence_id = _decoded(event, "RECURRENCE-ID")
        start, end = _as_utc(raw_start, zone), _as_utc(raw_end, zone) if raw_end else None
        if "RRULE" in event and recurrence_id is None:
            excluded = (
                cancelled.get(uid, set()) | overridden.get(uid, set()) | _exdates(event, zone)
            )
            try:
                start = self._next_occurrence(event, raw_start, zone, excluded) or start
            except _UnreadableRuleError:
                self._unreadable_rules.append(_summary(event))
            if raw_end is not None and end is not None:
                end = start + (_as_utc(raw_end, zone) - _as_utc(raw_start, zone))
        if all_day:
            # iCalendar's all-day DTEND is exclusive; keep the last day, None for one day.
            last = (end - timedelta(days=1)) if end else None
            end = last if last and last > start else None
        elif end is not None and end < start:
            end = None
        title = _summary(event) or "(zonder titel)"
        key = uid or _synthetic_uid(title, raw_start)
        if recurrence_id is not None:
            key = f"{key}#{_as_utc(recurrence_id, zone).isoformat()}"
        url = absolute_url(str(event.get("URL", "") or ""), None) or ""
        summary_html = _description(event, url)
        categories = _categories(event)
        location = " ".join(str(event.get("LOCATION", "") or "").replace("\n", ", ").split())
        themes = self.env.tagger.themes_for(
            self.config,
            text=f"{title}\n{plain_text(summary_html)}",
            categories=categories,
        )
        image = _image(event)
        return Item(
            id=Item.make_id(self.config.name, key),
            source=self.config.name,
            kind=ItemKind.EVENT,
            title=title[:TITLE_MAX],
            url=url,
            summary_html=summary_html,
            image_url=image,
            image_alt=title if image else None,
            themes=themes,
            guid=key[:1000],
            brand=self.config.brand,
            event=EventInfo(
                start=start,
                end=end,
                all_day=all_day,
                location=location[:1000] or None,
                uid=key[:1000],
            ),
        )

    def _next_occurrence(
        self, event: Any, raw_start: date, zone: tzinfo, excluded: set[datetime]
    ) -> datetime | None:
        """The first occurrence that has not started yet, or the last one if all did."""
        anchor = raw_start
        if not isinstance(anchor, datetime):
            anchor = datetime.combine(anchor, time(0, 0))
        elif anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=zone)
        rules = event.get("RRULE")
        rule_text = (rules[0] if isinstance(rules, list) else rules).to_ical().decode()
        if not rule_text.strip():  # "RRULE:" with nothing after it: not recurring
            return None
        try:
            rule = rrulestr(rule_text, dtstart=anchor)
            occurrences = islice(iter(rule), MAX_OCCURRENCES)
            last = None
            for occurrence in occurrences:
                moment = occurrence if isinstance(raw_start, datetime) else occurrence.date()
                at = _as_utc(moment, zone)
                if at in excluded:
                    continue
                last = at
                if at >= self.env.now:
                    return at
            return last
        except (ValueError, TypeError, OverflowError):
            raise _UnreadableRuleError from None


class _UnusableEventError(Exception):
    """An event that cannot be an agenda item; counted, not fatal."""


class _UnreadableRuleError(Exception):
    """An RRULE dateutil cannot expand; the event is shown at its first date."""


def parse_calendar(document: Document) -> Any:
    """The document as an icalendar component; SourceError when it is not one."""
    text = document.content.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise SourceError(
            f"{document.url} is an HTML page, not an iCalendar file",
            hint="check the source's url; calendar plugins often serve it at ?ical=1",
        )
    if not text:
        raise SourceError(f"{document.url} is empty, not an iCalendar file")
    try:
        return icalendar.Calendar.from_ical(text)
    except Exception as err:  # icalendar raises ValueError, KeyError, IndexError…
        reason = str(err).split(": b'", 1)[0][:200]  # icalendar appends the raw bytes
        raise SourceError(
            f"{document.url} is not a valid iCalendar file: {reason}",
            hint="check the source's url and kind",
        ) from err


def _decoded(component: Any, name: str) -> Any:
    if name not in component:
        return None
    try:
        value = component.decoded(name)
    except Exception:
        return None
    return value[0] if isinstance(value, list) and value else value


def _as_utc(value: date, zone: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0, 0), tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def _summary(event: Any) -> str:
    return " ".join(str(event.get("SUMMARY", "") or "").split())


def _synthetic_uid(title: str, start: date) -> str:
    digest = hashlib.sha256(f"{title}\x00{start.isoformat()}".encode()).hexdigest()
    return f"no-uid:{digest[:24]}"


def _description(event: Any, url: str) -> str:
    alternative = event.get("X-ALT-DESC")
    if alternative is not None and "html" in str(alternative.params.get("FMTTYPE", "")).lower():
        return sanitize_html(str(alternative), base_url=url or None)
    text = str(event.get("DESCRIPTION", "") or "").strip()
    return sanitize_html(_text_as_html(text), base_url=url or None) if text else ""


def _categories(event: Any) -> tuple[str, ...]:
    values = event.get("CATEGORIES")
    if values is None:
        return ()
    found: list[str] = []
    for value in values if isinstance(values, list) else [values]:
        for category in getattr(value, "cats", [value]):
            name = " ".join(str(category).split())
            if name and name not in found:
                found.append(name)
    return tuple(found)


def _image(event: Any) -> str | None:
    for name in ("IMAGE", "ATTACH"):
        values = event.get(name)
        for value in values if isinstance(values, list) else [values]:
            if value is None:
                continue
            kind = str(getattr(value, "params", {}).get("FMTTYPE", ""))
            if name == "IMAGE" or kind.startswith("image/"):
                url = absolute_url(str(value), None)
                if url:
                    return url
    return None


def _exdates(event: Any, zone: tzinfo) -> set[datetime]:
    found: set[datetime] = set()
    values = event.get("EXDATE")
    for value in values if isinstance(values, list) else [values]:
        for entry in getattr(value, "dts", ()):
            found.add(_as_utc(entry.dt, zone))
    return found


def _occurrences(events: list[Any], zone: tzinfo, *, cancelled: bool) -> dict[str, set[datetime]]:
    """Per UID, the (cancelled or moved) occurrences that have their own component."""
    found: dict[str, set[datetime]] = {}
    for event in events:
        recurrence_id = _decoded(event, "RECURRENCE-ID")
        is_cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        if isinstance(recurrence_id, date) and is_cancelled == cancelled:
            uid = str(event.get("UID", "") or "")
            found.setdefault(uid, set()).add(_as_utc(recurrence_id, zone))
    return found
