"""Which pool items a draft takes, and where in the edition they go.

What goes where (see docs/editions.md):

- news and manual items published since the last sent edition, newest first, routed
  into the configured general sections (``editions.sections``) by
  ``editions.section_themes``/``section_kinds``; the first section without a rule
  takes the rest. When a general section holds ``general_items_max`` items, further
  items that carry a theme go into a themed section ``thema-<theme>`` (first theme in
  configuration order), which only subscribers of that theme receive;
- agenda events from the planned day (the whole day) up to ``agenda_window_days``
  ahead, soonest first;
- the latest police campaign into ``campagne.md``; older ones follow their route;
- RIEC items (brand ``riec``, except events, which join the agenda) into ``riec.md``.

Drafted items are marked used in the pool (``used_in`` the edition), so no later draft
offers them again; upcoming events are offered again while ``agenda_repeat_upcoming``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from varcomms import pool
from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions.catalog import list_editions
from varcomms.models import EditionStatus, Item, ItemKind, ItemStatus

DEFAULT_SEND_TIME = time(9, 0)
DRAFT_LEAD_DAYS = 14


@dataclass
class Plan:
    """Which pool items go into which file of the edition."""

    sections: dict[str, list[Item]] = field(default_factory=dict)
    themed: dict[str, str] = field(default_factory=dict)  # section slug → theme
    agenda: list[Item] = field(default_factory=list)
    campaign: list[Item] = field(default_factory=list)
    riec: list[Item] = field(default_factory=list)

    def all_items(self) -> list[Item]:
        found = [item for items in self.sections.values() for item in items]
        return found + self.agenda + self.campaign + self.riec

    def counts(self) -> dict[str, int]:
        counts = {f"{slug}.md": len(items) for slug, items in self.sections.items() if items}
        for name, items in (
            ("agenda", self.agenda),
            ("campagne", self.campaign),
            ("riec", self.riec),
        ):
            if items:
                counts[f"{name}.md"] = len(items)
        return counts


def planned_time(config: Config, planned: datetime | date | None, now: datetime) -> datetime:
    tz = config.tz
    if planned is None:
        day = now.astimezone(tz).date() + timedelta(days=DRAFT_LEAD_DAYS)
        return datetime.combine(day, DEFAULT_SEND_TIME, tzinfo=tz)
    if isinstance(planned, datetime):
        return planned.replace(tzinfo=tz) if planned.tzinfo is None else planned.astimezone(tz)
    return datetime.combine(planned, DEFAULT_SEND_TIME, tzinfo=tz)


def agenda_window(config: Config, planned: datetime) -> tuple[datetime, datetime]:
    """From the start of the planned day to the end of the window's last day, as UTC."""
    tz = config.tz
    day = planned.astimezone(tz).date()
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    last = day + timedelta(days=config.editions.agenda_window_days)
    end = datetime.combine(last, time(23, 59, 59), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def news_since(config: Config, planned: datetime, *, exclude: str | None = None) -> datetime:
    """The planned time of the last sent edition before ``planned``, or a default reach."""
    sent = [
        s.planned
        for s in list_editions(config)
        if s.status is EditionStatus.SENT and s.planned and s.planned < planned and s.id != exclude
    ]
    if sent:
        return max(sent)
    return planned - timedelta(days=config.editions.first_draft_days)


def _newest_first(items: Iterable[Item]) -> list[Item]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(items, key=lambda item: (item.published or oldest, item.id), reverse=True)


def _route(config: Config, item: Item) -> str | None:
    settings = config.editions
    for slug in settings.sections:
        if item.kind.value in settings.section_kinds.get(slug, ()):
            return slug
        if set(item.themes) & set(settings.section_themes.get(slug, ())):
            return slug
    if item.kind is ItemKind.CAMPAIGN:
        return None  # only the latest campaign is drafted unless a section takes them
    ruled = set(settings.section_themes) | set(settings.section_kinds)
    catch_all = [slug for slug in settings.sections if slug not in ruled]
    return catch_all[0] if catch_all else (settings.sections[0] if settings.sections else None)


def _first_theme(config: Config, item: Item) -> str | None:
    for theme in config.themes:
        if theme.slug in item.themes:
            return theme.slug
    return None


def plan_items(
    ctx: Context,
    *,
    edition_id: str,
    planned: datetime,
    brands: Iterable[str],
    present: set[str] | None = None,
    present_urls: set[str] | None = None,
    section_counts: dict[str, int] | None = None,
    has_campaign: bool = False,
) -> Plan:
    """Choose pool items for an edition; ``present`` ids/urls are already in it."""
    config, store = ctx.config, ctx.store
    present = present or set()
    present_urls = present_urls or set()
    counts = dict(section_counts or {})
    joint = "riec" in brands
    limit = config.editions.general_items_max
    plan = Plan(sections={slug: [] for slug in config.editions.sections})

    def fresh(item: Item) -> bool:
        return item.id not in present and item.url.rstrip("/") not in present_urls

    def place(item: Item) -> None:
        if joint and item.brand == "riec":
            plan.riec.append(item)
            return
        slug = _route(config, item)
        if slug is None:
            return
        theme = _first_theme(config, item)
        if counts.get(slug, 0) >= limit and theme is not None:
            themed = f"thema-{theme}"
            plan.themed[themed] = theme
            plan.sections.setdefault(themed, []).append(item)
            return
        counts[slug] = counts.get(slug, 0) + 1
        plan.sections.setdefault(slug, []).append(item)

    since = news_since(config, planned, exclude=edition_id)
    campaigns = _newest_first(
        item
        for item in pool.list_items(store, kind=ItemKind.CAMPAIGN, status=ItemStatus.NEW)
        if fresh(item)
    )
    if campaigns and not has_campaign:
        plan.campaign.append(campaigns.pop(0))
    news = [
        *pool.list_items(store, kind=ItemKind.NEWS, status=ItemStatus.NEW, since=since),
        *pool.list_items(store, kind=ItemKind.MANUAL, status=ItemStatus.NEW, since=since),
        *(item for item in campaigns if item.published is None or item.published >= since),
    ]
    for item in _newest_first(news):
        if fresh(item):
            place(item)

    window_start, window_end = agenda_window(config, planned)
    statuses = [ItemStatus.NEW]
    if config.editions.agenda_repeat_upcoming:
        statuses.append(ItemStatus.USED)
    events = pool.list_items(
        store,
        kind=ItemKind.EVENT,
        status=statuses,
        event_from=window_start,
        event_until=window_end,
    )
    plan.agenda = [item for item in events if fresh(item)]
    return plan


def mark_used(ctx: Context, plan: Plan, edition_id: str) -> None:
    pool.set_status(
        ctx.store, [item.id for item in plan.all_items()], ItemStatus.USED, used_in=edition_id
    )
