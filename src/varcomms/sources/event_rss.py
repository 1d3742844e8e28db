"""``kind = "event-rss"``: the RSS feed of a WordPress events plugin.

Such feeds put the event's *start* in ``pubDate`` (The Events Calendar, Events Manager),
so an entry's date is when the event begins, not when it was published. Feeds that use
the RSS event module (``ev:startdate``, ``ev:enddate``, ``ev:location``) are read from
those elements instead. Dates without a zone are local time of the configuration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from varcomms.models import EventInfo, Item, ItemKind
from varcomms.sources import dates
from varcomms.sources.base import register
from varcomms.sources.feeds import Entry, ParsedFeed, plain_text
from varcomms.sources.feedsource import FeedSource, make_item


@register("event-rss")
class EventFeed(FeedSource):
    item_kind = ItemKind.EVENT

    def ignore_reason(self, entry: Entry, feed: ParsedFeed) -> str | None:
        return None if self._start(entry.raw) or entry.published else "entries without a date"

    def item(self, entry: Entry, feed: ParsedFeed) -> Item:
        start = self._start(entry.raw, note=False) or entry.published
        assert start is not None  # ignore_reason() kept only dated entries
        end = self._date(entry.raw.get("ev_enddate"))
        location = plain_text(str(entry.raw.get("ev_location") or "")) or None
        event = EventInfo(
            start=start,
            end=end if end and end >= start else None,
            location=location[:1000] if location else None,
            uid=entry.guid or entry.url or None,
        )
        return make_item(self.config, self.env, entry, ItemKind.EVENT, event=event)

    def _start(self, raw: Any, *, note: bool = True) -> datetime | None:
        return self._date(raw.get("ev_startdate"), note=note)

    def _date(self, value: object, *, note: bool = True) -> datetime | None:
        """An ``ev:*`` date as UTC; an unreadable one is None and becomes a warning."""
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip()
        reading = dates.read_date(text, self.env.config.tz)
        if reading is not None and reading.value is not None:
            return reading.value
        try:  # ISO forms read_date leaves out, e.g. "20220110T100000"
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=self.env.config.tz)
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            if note:
                problem = reading.problem if reading else None
                self.problems.append(problem or f"{text[:60]!r} is not a date")
            return None
