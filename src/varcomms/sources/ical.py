"""``kind = "ical"``: an agenda as an iCalendar feed (``.ics``), read with icalendar.

Times become UTC: a ``TZID`` (an Olson name or the calendar's own VTIMEZONE) is honoured;
floating times are local to the calendar's ``X-WR-TIMEZONE``, else to the configured
time zone; all-day events start at local midnight of their first day, and their ``end``
is midnight of their *last* day (None for a one-day event), not iCalendar's exclusive
end. A recurring event is one item at its next occurrence (:mod:`.recurrence`: RRULE
and RDATE); cancelled occurrences and ``EXDATE`` are skipped, and a moved occurrence
(``RECURRENCE-ID``) is its own item. Past events are not offered.

One bad event, or one bad property of an event, never takes the calendar down: the
event (or the property) is left out with a warning and the rest lands.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from varcomms.config import SourceConfig
from varcomms.errors import SourceError
from varcomms.models import EventInfo, Item, ItemKind
from varcomms.sanitize import absolute_url, sanitize_html
from varcomms.sources.base import FetchResult, SourceEnv, event_is_past, read_document, register
from varcomms.sources.feeds import TITLE_MAX, _text_as_html, plain_text, printable
from varcomms.sources.http import Document, Validators
from varcomms.sources.recurrence import as_utc as _as_utc
from varcomms.sources.recurrence import exdates, is_recurring, next_occurrence


@register("ical")
class Agenda:
    def __init__(self, config: SourceConfig, env: SourceEnv, validators: Validators) -> None:
        self.config = config
        self.env = env
        self.validators = validators
        # Item id -> "title: why", for events whose RRULE could not be expanded.
        self._unreadable_rules: dict[str, str] = {}
        self._base_url: str | None = None

    def fetch(self) -> FetchResult:
        document = read_document(self.config, self.env, self.validators)
        batch = FetchResult(warnings=list(document.notes), validators=document.validators)
        if document.not_modified:
            batch.not_modified = True
            return batch
        calendar = parse_calendar(document)
        # Relative links in descriptions point from the calendar's own page.
        self._base_url = document.base_url
        zone = self._calendar_zone(calendar, batch)
        events = list(calendar.walk("VEVENT"))
        cancelled = _occurrences(events, zone, cancelled=True)
        overridden = _occurrences(events, zone, cancelled=False)
        skipped: Counter[str] = Counter()
        past_unreadable = 0
        for component in events:
            if str(component.get("STATUS", "")).upper() == "CANCELLED":
                batch.ignored["cancelled events"] += 1
                continue
            try:
                item = self._item(component, zone, cancelled, overridden, batch)
            except _UnusableEventError as why:
                skipped[str(why)] += 1
                continue
            except Exception as err:  # a library's surprise on one event: lose only it
                skipped[f"unreadable ({type(err).__name__}: {printable(str(err), 120)})"] += 1
                continue
            if item.event is not None and event_is_past(item.event, self.env.now):
                batch.ignored["past events"] += 1
                past_unreadable += item.id in self._unreadable_rules
                continue
            batch.items.append(item)
        for reason, count in skipped.items():
            batch.warnings.append(f"{count} event(s) skipped: {reason}")
        if self._unreadable_rules:
            count = len(self._unreadable_rules)
            first = next(iter(self._unreadable_rules.values()))
            outcome = (
                f"{past_unreadable} of them left out because that date has passed"
                if past_unreadable
                else "shown at that date"
            )
            batch.warnings.append(
                f"{count} event(s) with an RRULE that cannot be expanded (first: {first}); "
                f"only their own dates are used, {outcome}"
            )
        return batch

    def _calendar_zone(self, calendar: Any, batch: FetchResult) -> tzinfo:
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
        batch: FetchResult,
    ) -> Item:
        for name, problem in getattr(event, "errors", ()) or ():
            if name not in ("EXDATE", "RDATE"):  # the recurrence reports those, and what it did
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
        title = _summary(event) or "(zonder titel)"
        try:
            start = _as_utc(raw_start, zone)
        except (OverflowError, ValueError):
            raise _UnusableEventError(f"DTSTART {raw_start.isoformat()} is out of range") from None
        try:
            end = _as_utc(raw_end, zone) if raw_end else None
        except (OverflowError, ValueError):
            batch.warnings.append(f"event {title!r}: its end is out of range; left out")
            raw_end = end = None
        unreadable_rule = None
        if is_recurring(event) and recurrence_id is None:
            problems: list[str] = []
            excluded = (
                cancelled.get(uid, set())
                | overridden.get(uid, set())
                | exdates(event, zone, problems)
            )
            expansion = next_occurrence(event, raw_start, zone, now=self.env.now, excluded=excluded)
            problems.extend(expansion.problems)
            batch.warnings.extend(f"event {title!r}: {problem}" for problem in problems)
            unreadable_rule = expansion.unreadable_rule
            if expansion.start is not None:
                if end is not None:
                    end = expansion.start + (end - start)
                start = expansion.start
        if all_day:
            # iCalendar's all-day DTEND is exclusive; keep the last day, None for one day.
            last = (end - timedelta(days=1)) if end else None
            end = last if last and last > start else None
        elif end is not None and end < start:
            end = None
        key = uid or _synthetic_uid(title, raw_start)
        if recurrence_id is not None:
            key = f"{key}#{_as_utc(recurrence_id, zone).isoformat()}"
        url = absolute_url(str(event.get("URL", "") or ""), self._base_url) or ""
        summary_html = _description(event, url or self._base_url)
        categories = _categories(event)
        location = " ".join(str(event.get("LOCATION", "") or "").replace("\n", ", ").split())
        themes = self.env.tagger.themes_for(
            self.config,
            text=f"{title}\n{plain_text(summary_html)}",
            categories=categories,
        )
        image = _image(event, self._base_url)
        item_id = Item.make_id(self.config.name, key)
        if unreadable_rule is not None:
            self._unreadable_rules[item_id] = f"{title!r}: {printable(unreadable_rule, 120)}"
        return Item(
            id=item_id,
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


class _UnusableEventError(Exception):
    """An event that cannot be an agenda item; counted, not fatal."""


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
        calendars = icalendar.Calendar.from_ical(_decode(text, document), multiple=True)
    except Exception as err:  # icalendar raises ValueError, KeyError, IndexError…
        # icalendar appends the raw bytes, binary included: keep the words, escape the rest.
        reason = printable(str(err).split(": b'", 1)[0], 200)
        raise SourceError(
            f"{document.url} is not a valid iCalendar file: {reason}",
            hint="check the source's url and kind",
        ) from err
    if not calendars:
        raise SourceError(
            f"{document.url} is not a valid iCalendar file: it holds no VCALENDAR",
            hint="check the source's url and kind",
        )
    first = calendars[0]
    # Some exporters concatenate calendars (one per category or month): one agenda.
    for extra in calendars[1:]:
        first.subcomponents.extend(extra.subcomponents)
    return first


def _decode(content: bytes, document: Document) -> str:
    """The calendar's text. RFC 5545 says UTF-8; older exporters write Windows-1252
    (Latin-1) without saying so, which icalendar would turn into replacement signs."""
    charset = re.search(r"charset=\"?([\w.:-]+)", document.headers.get("content-type", ""), re.I)
    if charset:
        try:
            return content.decode(charset[1])
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _decoded(component: Any, name: str) -> Any:
    if name not in component:
        return None
    try:
        value = component.decoded(name)
    except Exception:
        return None
    return value[0] if isinstance(value, list) and value else value


def _summary(event: Any) -> str:
    return " ".join(str(event.get("SUMMARY", "") or "").split())


def _synthetic_uid(title: str, start: date) -> str:
    digest = hashlib.sha256(f"{title}\x00{start.isoformat()}".encode()).hexdigest()
    return f"no-uid:{digest[:24]}"


def _description(event: Any, base_url: str | None) -> str:
    """The HTML description (Outlook's X-ALT-DESC) or the text one, sanitised; links are
    made absolute against the event's URL, else the calendar's."""
    alternative = event.get("X-ALT-DESC")
    if isinstance(alternative, list):
        alternative = alternative[0] if alternative else None
    params = getattr(alternative, "params", {})
    if alternative is not None and "html" in str(params.get("FMTTYPE", "")).lower():
        # icalendar leaves X- properties escaped: Outlook's "\," would show in the mail.
        return sanitize_html(unescape_text(str(alternative)), base_url=base_url or None)
    text = str(event.get("DESCRIPTION", "") or "").strip()
    return sanitize_html(_text_as_html(text), base_url=base_url or None) if text else ""


_ESCAPE = re.compile(r"\\([\\;,nN])")


def unescape_text(value: str) -> str:
    """Undo RFC 5545 TEXT escapes (``\\,`` ``\\;`` ``\\n`` ``\\\\``) in one pass."""
    return _ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], value)


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


def _image(event: Any, base_url: str | None) -> str | None:
    for name in ("IMAGE", "ATTACH"):
        values = event.get(name)
        for value in values if isinstance(values, list) else [values]:
            if value is None:
                continue
            kind = str(getattr(value, "params", {}).get("FMTTYPE", ""))
            if name == "IMAGE" or kind.startswith("image/"):
                url = absolute_url(str(value), base_url)
                if url:
                    return url
    return None


def _occurrences(events: list[Any], zone: tzinfo, *, cancelled: bool) -> dict[str, set[datetime]]:
    """Per UID, the (cancelled or moved) occurrences that have their own component."""
    found: dict[str, set[datetime]] = {}
    for event in events:
        recurrence_id = _decoded(event, "RECURRENCE-ID")
        is_cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
        if isinstance(recurrence_id, date) and is_cancelled == cancelled:
            uid = str(event.get("UID", "") or "")
            try:
                found.setdefault(uid, set()).add(_as_utc(recurrence_id, zone))
            except (OverflowError, ValueError):
                continue  # an impossible RECURRENCE-ID cancels or moves nothing
    return found
