"""A year side by side, for the annual report: editions, audience size and themes.

The database keeps people's current status and themes, not their history, so the
audience at a moment is reconstructed: someone counts from when they joined (confirmed,
else consented, else created) until they left (the first unsubscribe, complaint or hard
bounce event, else the last change of a record that is no longer subscribed). Theme
figures use today's theme choices. Erased people are gone from every figure, as the
AVG asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from varcomms.context import Context
from varcomms.models import EventType, SubscriberStatus
from varcomms.report.edition import Counts, edition_report
from varcomms.store.schema import events, sends, subscriber_themes, subscribers

_LEAVING = (EventType.UNSUBSCRIBED.value, EventType.COMPLAINED.value)


@dataclass
class EditionLine:
    edition_id: str
    sent_at: datetime
    counts: Counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition_id,
            "sent_at": self.sent_at.isoformat(),
            **self.counts.to_dict(),
        }


@dataclass
class YearReport:
    year: int
    subscribers_start: int
    subscribers_end: int
    themes: dict[str, tuple[int, int]] = field(default_factory=dict)  # slug -> start, end
    editions: list[EditionLine] = field(default_factory=list)

    @property
    def growth(self) -> int:
        return self.subscribers_end - self.subscribers_start

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "subscribers_start": self.subscribers_start,
            "subscribers_end": self.subscribers_end,
            "growth": self.growth,
            "themes": {
                slug: {"start": start, "end": end, "growth": end - start}
                for slug, (start, end) in self.themes.items()
            },
            "editions": [line.to_dict() for line in self.editions],
        }


def year_report(ctx: Context, year: int) -> YearReport:
    tz = ctx.config.tz
    start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
    now = ctx.clock.now()
    end_point = min(end, now) if start <= now else end
    spans = _membership(ctx)
    report = YearReport(
        year=year,
        subscribers_start=sum(1 for joined, left, _ in spans if _member(joined, left, start)),
        subscribers_end=sum(1 for joined, left, _ in spans if _member(joined, left, end_point)),
    )
    for theme in ctx.config.themes:
        chosen = [(joined, left) for joined, left, themes in spans if theme.slug in themes]
        report.themes[theme.slug] = (
            sum(1 for joined, left in chosen if _member(joined, left, start)),
            sum(1 for joined, left in chosen if _member(joined, left, end_point)),
        )
    for edition_id, sent_at in _sent_in(ctx, start, end):
        report.editions.append(
            EditionLine(edition_id, sent_at, edition_report(ctx, edition_id).totals)
        )
    return report


def _member(joined: datetime | None, left: datetime | None, moment: datetime) -> bool:
    return joined is not None and joined < moment and (left is None or left >= moment)


def _membership(ctx: Context) -> list[tuple[datetime | None, datetime | None, set[str]]]:
    with ctx.store.engine.connect() as db:
        leaving: dict[str, datetime] = {
            email.lower(): at
            for email, at in db.execute(
                select(events.c.email, func.min(events.c.occurred_at))
                .where(events.c.type.in_(_LEAVING), events.c.email.is_not(None))
                .group_by(events.c.email)
            )
        }
        themes: dict[int, set[str]] = {}
        for subscriber_id, theme in db.execute(
            select(subscriber_themes.c.subscriber_id, subscriber_themes.c.theme)
        ):
            themes.setdefault(subscriber_id, set()).add(theme)
        spans = []
        for row in db.execute(
            select(
                subscribers.c.id,
                subscribers.c.email,
                subscribers.c.status,
                subscribers.c.confirmed_at,
                subscribers.c.consent_at,
                subscribers.c.created_at,
                subscribers.c.updated_at,
            )
        ):
            if row.status == SubscriberStatus.PENDING.value:
                continue  # never confirmed: never a member
            joined = row.confirmed_at or row.consent_at or row.created_at
            left = leaving.get(row.email.lower())
            if row.status != SubscriberStatus.SUBSCRIBED.value and left is None:
                left = row.updated_at
            spans.append((joined, left, themes.get(row.id, set())))
    return spans


def _sent_in(ctx: Context, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    query = (
        select(sends.c.edition_id, func.min(sends.c.finished_at))
        .where(sends.c.is_test.is_(False), sends.c.finished_at.is_not(None))
        .group_by(sends.c.edition_id)
    )
    with ctx.store.engine.connect() as db:
        found = [(edition_id, at) for edition_id, at in db.execute(query) if start <= at < end]
    return sorted(found, key=lambda pair: (pair[1], pair[0]))
