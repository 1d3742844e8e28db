"""Draft an edition from the item pool, and refresh a draft with what came in since.

Which items go where is decided in :mod:`varcomms.editions.planning`; this module
writes the folder (all files or none) and marks the drafted items used in the pool.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from babel.dates import format_date

from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions.catalog import list_editions
from varcomms.editions.formats import EditionFile
from varcomms.editions.planning import Plan, mark_used, plan_items, planned_time
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
from varcomms.models import Edition, EditionStatus

NUMBERED_ID = re.compile(r"^(\d{4})-(\d{1,3})\Z")
# The templates greet the reader by name ("Beste …,"): the voorwoord starts after that.
INTRO_PLACEHOLDER = "TODO: schrijf hier het voorwoord.\n"


@dataclass(frozen=True)
class RefreshReport:
    edition: Edition
    added: dict[str, int]
    new_sections: list[str]
    voided: list[VoidedSignOff]

    @property
    def total(self) -> int:
        return sum(self.added.values())


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
    brands: tuple[str, ...] = ("var", "riec"),
    kind: Literal["regular", "special"] = "regular",
    audience: str | None = None,
    template: str | None = None,
) -> Edition:
    """Create ``newsletters/<id>/`` from the pool and mark the drafted items used.

    A themed special is the same thing with ``kind="special"`` and its own audience
    (a segment name) and template.
    """
    config = ctx.config
    unknown = [brand for brand in brands if brand not in config.brands]
    if unknown or "var" not in brands:
        raise InputError(
            f"brands {list(brands)}: every edition carries 'var'; known: {sorted(config.brands)}"
        )
    when = planned_time(config, planned, ctx.clock.now())
    edition_id, number = _resolve_id(config, edition_id, when)
    folder = edition_folder(config, edition_id)
    if folder.exists():
        raise StateError(
            f"edition {edition_id} already exists in {folder.parent}",
            hint=f"`varcomms draft refresh {edition_id}` adds what came in since",
        )
    plan = plan_items(ctx, edition_id=edition_id, planned=when, brands=brands)
    general = list(config.editions.sections)
    themed = sorted(plan.themed)
    labels = config.theme_labels
    name = "VeiligheidsAlliantie & RIEC" if "riec" in brands else "VeiligheidsAlliantie"
    meta = EditionFile(
        id=edition_id,
        number=number,
        title=f"Nieuwsbrief {number} – {_month(when)}",
        subject=f"Nieuwsbrief {name} – {_month(when)}",
        preheader=_preheader(plan, config.editions.preheader_max_chars),
        planned=when,
        brands=list(brands),
        kind=kind,
        audience=audience,
        template=template,
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
    if "riec" in brands:
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
    mark_used(ctx, plan, edition_id)
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
    synced = sync_signoffs(ctx, edition_id)
    doc, voided = synced.document, synced.voided
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
    mark_used(ctx, plan, edition_id)
    # Adding items changes the content, so sign-offs given before are void now.
    after = sync_signoffs(ctx, edition_id)
    return RefreshReport(
        edition=after.document.to_edition(),
        added=plan.counts(),
        new_sections=new_sections,
        voided=voided + after.voided,
    )
