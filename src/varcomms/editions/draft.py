"""Draft an edition from the item pool, and refresh a draft with what came in since.

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

import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from babel.dates import format_date

from varcomms import pool
from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions.catalog import list_editions
from varcomms.editions.formats import EditionFile
from varcomms.editions.reader import (
    INTRO_FILE,
    EditionDocument,
    edition_folder,
    read_folder,
)
from varcomms.editions.signoff import VoidedSignOff
from varcomms.editions.workflow import sync_signoffs
from varcomms.editions.writer import (
    append_items,
    edition_yaml,
    section_header,
    section_text,
    update_edition_yaml,
    write_atomic,
)
from varcomms.errors import InputError, StateError
from varcomms.models import Edition, EditionStatus, Item, ItemKind, ItemStatus

DEFAULT_SEND_TIME = time(9, 0)
DRAFT_LEAD_DAYS = 14
NUMBERED_ID = re.compile(r"^(\d{4})-(\d{1,3})$")
INTRO_PLACEHOLDER = "Beste lezer,\n\nTODO: schrijf hier het voorwoord.\n"


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


@dataclass(frozen=True)
class RefreshReport:
    edition: Edition
    added: dict[str, int]
    new_sections: list[str]
    voided: list[VoidedSignOff]

    @property
    def total(self) -> int:
        return sum(self.added.values())


# -- planning ------------------------------------------------------------------------------


def _planned_time(config: Config, planned: datetime | date | None, now: datetime) -> datetime:
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


def _mark_used(ctx: Context, plan: Plan, edition_id: str) -> None:
    pool.set_status(
        ctx.store, [item.id for item in plan.all_items()], ItemStatus.USED, used_in=edition_id
    )


# -- draft new ----------------------------------------------------------------------------


def _resolve_id(config: Config, edition_id: str | None, planned: datetime) -> tuple[str, int]:
    existing = list_editions(config)
    taken = {summary.id for summary in existing}
    if edition_id is not None:
        match = NUMBERED_ID.match(edition_id)
        if match:
            return edition_id, int(match.group(2))
        same_year = [
            s.number for s in existing if s.number and s.planned and s.planned.year == planned.year
        ]
        return edition_id, max(same_year, default=0) + 1
    numbers = [
        s.number for s in existing if s.number and s.planned and s.planned.year == planned.year
    ]
    number = max(numbers, default=0) + 1
    while f"{planned.year}-{number:02d}" in taken:
        number += 1
    return f"{planned.year}-{number:02d}", number


def _month(planned: datetime) -> str:
    return format_date(planned.date(), "MMMM y", locale="nl")


def _preheader(plan: Plan, limit: int) -> str:
    titles = [item.title for items in plan.sections.values() for item in items][:3]
    text = ""
    for title in titles:
        candidate = f"{text} · {title}" if text else title
        if len(candidate) > limit:
            break
        text = candidate
    return text


def draft_new(
    ctx: Context,
    edition_id: str | None = None,
    *,
    planned: datetime | date | None = None,
) -> Edition:
    """Create ``newsletters/<id>/`` from the pool and mark the drafted items used."""
    config = ctx.config
    when = _planned_time(config, planned, ctx.clock.now())
    edition_id, number = _resolve_id(config, edition_id, when)
    folder = edition_folder(config, edition_id)
    if folder.exists():
        raise StateError(
            f"edition {edition_id} already exists in {folder.parent}",
            hint=f"`varcomms draft refresh {edition_id}` adds what came in since",
        )
    brands = ["var", "riec"]
    plan = plan_items(ctx, edition_id=edition_id, planned=when, brands=brands)
    general = list(config.editions.sections)
    themed = sorted(plan.themed)
    labels = config.theme_labels
    joint_name = "VeiligheidsAlliantie & RIEC"
    meta = EditionFile(
        id=edition_id,
        number=number,
        title=f"Nieuwsbrief {number} – {_month(when)}",
        subject=f"Nieuwsbrief {joint_name} – {_month(when)}",
        preheader=_preheader(plan, config.editions.preheader_max_chars),
        planned=when,
        brands=brands,
        sections=general + themed,
    )
    tz = config.tz
    files: dict[str, str] = {
        "edition.yaml": edition_yaml(meta, tz),
        INTRO_FILE: INTRO_PLACEHOLDER,
    }
    for slug in general:
        title = slug.replace("-", " ").capitalize()
        files[f"{slug}.md"] = section_text(section_header(title), plan.sections.get(slug, []), tz)
    for slug in themed:
        theme = plan.themed[slug]
        header = section_header(labels.get(theme, theme), theme=theme)
        files[f"{slug}.md"] = section_text(header, plan.sections[slug], tz)
    files["agenda.md"] = section_text(section_header("Agenda"), plan.agenda, tz)
    files["campagne.md"] = section_text(section_header("Politiecampagne"), plan.campaign, tz)
    files["riec.md"] = section_text(
        section_header("Nieuws van het RIEC Rotterdam", brand="riec"), plan.riec, tz
    )
    # Written beside the final folder and renamed into place: all files or none.
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{edition_id}.", dir=folder.parent))
    try:
        for name, text in files.items():
            write_atomic(staging / name, text)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _mark_used(ctx, plan, edition_id)
    return read_folder(config, edition_id).to_edition()


# -- refresh -------------------------------------------------------------------------------


def _present(doc: EditionDocument) -> tuple[set[str], set[str]]:
    ids: set[str] = set()
    urls: set[str] = set()
    for section in doc.all_sections:
        for item in section.items:
            if item.entry.item:
                ids.add(item.entry.item)
            if item.entry.link:
                urls.add(item.entry.link.rstrip("/"))
    return ids, urls


def refresh(ctx: Context, edition_id: str) -> RefreshReport:
    """Append pool items that came in since the draft; editors' text is left as is."""
    config = ctx.config
    doc, voided = sync_signoffs(ctx, edition_id)
    status = doc.meta.status
    if status not in (EditionStatus.DRAFT, EditionStatus.REVIEW):
        raise StateError(
            f"edition {edition_id} is {status.value}; only a draft or an edition in review "
            "can be refreshed",
            hint=f"`varcomms edition reopen {edition_id}` first"
            if status is not EditionStatus.SENT
            else None,
        )
    if doc.meta.planned is None:
        raise InputError(
            "a refresh needs the planned send time (for the agenda window)",
            path=doc.folder / "edition.yaml",
            field="planned",
        )
    ids, urls = _present(doc)
    plan = plan_items(
        ctx,
        edition_id=edition_id,
        planned=doc.meta.planned,
        brands=doc.meta.brands,
        present=ids,
        present_urls=urls,
        section_counts={section.slug: len(section.items) for section in doc.sections},
        has_campaign=bool(doc.campaign and doc.campaign.items),
    )
    tz = config.tz
    labels = config.theme_labels
    new_sections: list[str] = []
    for slug, items in plan.sections.items():
        if not items:
            continue
        path = doc.folder / f"{slug}.md"
        if slug in doc.meta.sections and path.is_file():
            append_items(path, items, tz)
            continue
        theme = plan.themed.get(slug)
        title = labels.get(theme, theme) if theme else slug.replace("-", " ").capitalize()
        if path.is_file():  # a file the editor left out of the list: keep it, add to it
            append_items(path, items, tz)
        else:
            write_atomic(path, section_text(section_header(title, theme=theme), items, tz))
        new_sections.append(slug)
    if new_sections:
        update_edition_yaml(doc.folder, {"sections": [*doc.meta.sections, *new_sections]})
    fixed = (
        ("agenda.md", plan.agenda, "Agenda", None),
        ("campagne.md", plan.campaign, "Politiecampagne", None),
        ("riec.md", plan.riec, "Nieuws van het RIEC Rotterdam", "riec"),
    )
    for name, items, title, brand in fixed:
        if not items:
            continue
        path = doc.folder / name
        if path.is_file():
            append_items(path, items, tz)
        else:
            write_atomic(path, section_text(section_header(title, brand=brand), items, tz))
    _mark_used(ctx, plan, edition_id)
    # Adding items changes the content, so sign-offs given before are void now.
    doc_after, voided_now = sync_signoffs(ctx, edition_id)
    return RefreshReport(
        edition=doc_after.to_edition(),
        added=plan.counts(),
        new_sections=new_sections,
        voided=voided + voided_now,
    )
