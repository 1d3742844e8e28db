"""Read an edition folder into an :class:`EditionDocument`, and that into a model.

The document keeps what lint and the workflow need (file names, line numbers, the
Markdown as written); :meth:`EditionDocument.to_edition` gives the frozen
:class:`varcomms.models.Edition` that render and delivery consume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from varcomms.config import Config
from varcomms.editions.formats import (
    EDITION_ID,
    EditionFile,
    ItemEntry,
    SectionHeader,
    context_for,
)
from varcomms.editions.frontmatter import split_blocks
from varcomms.editions.markdown import markdown_to_html
from varcomms.editions.yamlio import ParsedYaml, parse_yaml, validation_error
from varcomms.errors import InputError, NotFoundError
from varcomms.models import (
    Edition,
    EditionEvent,
    EditionItem,
    EditionSection,
    ItemKind,
    SignOff,
)
from varcomms.safefiles import check_inside, read_text_inside

EDITION_FILE = "edition.yaml"
INTRO_FILE = "intro.md"

M = TypeVar("M", bound=BaseModel)
Role = Literal["section", "agenda", "campaign", "riec"]
# The fixed section files, their role and the title used when the file has no header.
FIXED_SECTIONS: tuple[tuple[str, Role, str], ...] = (
    ("agenda", "agenda", "Agenda"),
    ("campagne", "campaign", "Campagne"),
    ("riec", "riec", "RIEC Rotterdam"),
)
DEFAULT_KIND: dict[Role, ItemKind] = {
    "section": ItemKind.NEWS,
    "agenda": ItemKind.EVENT,
    "campaign": ItemKind.CAMPAIGN,
    "riec": ItemKind.NEWS,
}


@dataclass(frozen=True)
class ItemDoc:
    entry: ItemEntry
    body: str
    file: str
    line: int
    summary_html: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SectionDoc:
    slug: str
    file: str
    role: Role
    title: str
    header: SectionHeader | None
    header_line: int | None
    intro: str
    intro_html: str
    items: tuple[ItemDoc, ...]

    @property
    def theme(self) -> str | None:
        return self.header.theme if self.header else None

    @property
    def brand(self) -> str | None:
        if self.header and self.header.brand:
            return self.header.brand
        return "riec" if self.role == "riec" else None


@dataclass(frozen=True)
class EditionDocument:
    folder: Path
    meta: EditionFile
    parsed: ParsedYaml
    intro: str | None
    intro_html: str
    sections: tuple[SectionDoc, ...]
    agenda: SectionDoc | None
    campaign: SectionDoc | None
    riec: SectionDoc | None

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def all_sections(self) -> tuple[SectionDoc, ...]:
        extra = (self.agenda, self.campaign, self.riec)
        return self.sections + tuple(section for section in extra if section is not None)

    @property
    def content_files(self) -> list[str]:
        """Every file that makes up the edition's content, present or expected."""
        names = [EDITION_FILE, INTRO_FILE]
        names += [f"{slug}.md" for slug in self.meta.sections]
        names += [f"{name}.md" for name, _role, _title in FIXED_SECTIONS]
        return names

    def yaml_line(self, *loc: str | int) -> int:
        return self.parsed.line_of(loc)

    def to_edition(self) -> Edition:
        meta = self.meta
        return Edition(
            id=meta.id,
            number=meta.number,
            title=meta.title,
            subject=meta.subject,
            preheader=meta.preheader,
            planned=meta.planned,
            brands=tuple(meta.brands),
            kind=meta.kind,
            template=meta.template,
            audience=meta.audience,
            status=meta.status,
            signoffs=tuple(
                SignOff(role=s.role, by=s.by, at=s.at, content_hash=s.content_hash)
                for s in meta.signoffs
            ),
            intro_html=self.intro_html,
            sections=tuple(_section_model(section) for section in self.sections),
            agenda=_section_model(self.agenda) if self.agenda else None,
            campaign=_section_model(self.campaign) if self.campaign else None,
            riec=_section_model(self.riec) if self.riec else None,
        )


def _section_model(section: SectionDoc) -> EditionSection:
    return EditionSection(
        slug=section.slug,
        title=section.title,
        items=tuple(_item_model(item, section.role) for item in section.items),
        intro_html=section.intro_html,
        theme=section.theme,
        brand=section.brand,
    )


def _item_model(item: ItemDoc, role: Role) -> EditionItem:
    entry = item.entry
    event = None
    if entry.start is not None:
        event = EditionEvent(
            start=entry.start,
            end=entry.end,
            all_day=entry.all_day,
            location=entry.location,
            ics_url=entry.ics,
        )
    return EditionItem(
        title=entry.title,
        summary_html=item.summary_html,
        url=entry.link,
        image_url=entry.image,
        image_alt=entry.alt,
        themes=tuple(entry.themes),
        kind=entry.kind or DEFAULT_KIND[role],
        item_id=entry.item,
        source=entry.source,
        event=event,
    )


# -- reading ------------------------------------------------------------------------------


def edition_folder(config: Config, edition_id: str) -> Path:
    if not EDITION_ID.match(edition_id):
        raise NotFoundError(
            f"{edition_id!r} is not an edition id",
            hint="edition ids are lowercase letters, digits and '-', like 2022-03",
        )
    return config.newsletters_dir / edition_id


def _read_text(path: Path, root: Path) -> str:
    """A content file below ``root`` (the newsletters folder); never a symbolic link."""
    try:
        # utf-8-sig: editors on Windows save a byte order mark the parsers would trip on.
        return read_text_inside(path, root, encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise InputError("cannot read: No such file or directory", path=path) from err


def _validate(model: type[M], parsed: ParsedYaml, context: Mapping[str, Any], what: str) -> M:
    if not isinstance(parsed.data, Mapping):
        raise InputError(
            f"{what} must be a mapping of 'key: value' lines",
            path=parsed.path,
            line=parsed.first_line,
        )
    try:
        return model.model_validate(parsed.data, context=dict(context))
    except ValidationError as err:
        raise validation_error(err, parsed) from err


def read_section(
    path: Path, slug: str, role: Role, default_title: str, config: Config
) -> SectionDoc:
    context = context_for(config)
    base_url = config.brands["var"].website
    blocks = split_blocks(_read_text(path, config.newsletters_dir), path)
    header: SectionHeader | None = None
    header_line: int | None = None
    intro = ""
    items: list[ItemDoc] = []
    for index, block in enumerate(blocks):
        parsed = parse_yaml(block.yaml_text, path, first_line=block.line + 1)
        if index == 0 and isinstance(parsed.data, Mapping) and "section" in parsed.data:
            header = _validate(SectionHeader, parsed, context, "a section header")
            header_line = block.line
            intro = block.body
            continue
        if isinstance(parsed.data, Mapping) and "section" in parsed.data:
            raise InputError(
                "only the first block of a file may be the section header",
                path=path,
                line=parsed.line_of(("section",)),
                field="section",
            )
        entry = _validate(ItemEntry, parsed, context, "an item's front matter")
        if role == "agenda" and entry.start is None:
            raise InputError(
                "an agenda item needs a start date",
                path=path,
                line=block.line,
                field="start",
                hint="add e.g. start: '2022-02-15 14:00' (Europe/Amsterdam)",
            )
        if entry.end is not None and entry.start is not None and entry.end < entry.start:
            raise InputError(
                "end is before start", path=path, line=parsed.line_of(("end",)), field="end"
            )
        items.append(
            ItemDoc(
                entry=entry,
                body=block.body,
                file=path.name,
                line=block.line,
                summary_html=markdown_to_html(block.body, base_url=base_url),
            )
        )
    title = header.section if header else default_title
    return SectionDoc(
        slug=slug,
        file=path.name,
        role=role,
        title=title,
        header=header,
        header_line=header_line,
        intro=intro,
        intro_html=markdown_to_html(intro, base_url=base_url),
        items=tuple(items),
    )


def _present(path: Path) -> bool:
    """A file is there, or a link stands in its place (which reading will refuse)."""
    return path.exists() or path.is_symlink()


def read_folder(config: Config, edition_id: str) -> EditionDocument:
    """Read and validate every file of an edition; the first problem raises InputError."""
    folder = edition_folder(config, edition_id)
    meta_path = folder / EDITION_FILE
    if not folder.is_dir():
        raise NotFoundError(
            f"no edition {edition_id!r} in {config.newsletters_dir}",
            hint="see `varcomms edition list`, or create one with `varcomms draft new`",
        )
    check_inside(folder, config.newsletters_dir)
    if not _present(meta_path):
        raise InputError(
            f"{EDITION_FILE} is missing", path=meta_path, hint="every edition folder needs one"
        )
    parsed = parse_yaml(_read_text(meta_path, config.newsletters_dir), meta_path)
    meta = _validate(EditionFile, parsed, context_for(config), EDITION_FILE)
    if meta.id != edition_id:
        raise InputError(
            f"id {meta.id!r} does not match the folder name {edition_id!r}",
            path=meta_path,
            line=parsed.line_of(("id",)),
            field="id",
        )
    sections: list[SectionDoc] = []
    for index, slug in enumerate(meta.sections):
        path = folder / f"{slug}.md"
        if not _present(path):
            raise InputError(
                f"section file {slug}.md is missing",
                path=meta_path,
                line=parsed.line_of(("sections", index)),
                field=f"sections[{index}]",
                hint=f"create {path} or remove {slug!r} from the sections list",
            )
        default_title = slug.replace("-", " ").capitalize()
        sections.append(read_section(path, slug, "section", default_title, config))
    fixed: dict[str, SectionDoc | None] = {}
    for name, role, title in FIXED_SECTIONS:
        path = folder / f"{name}.md"
        present = _present(path)
        fixed[role] = read_section(path, name, role, title, config) if present else None
    intro_path = folder / INTRO_FILE
    intro = _read_text(intro_path, config.newsletters_dir) if _present(intro_path) else None
    base_url = config.brands["var"].website
    return EditionDocument(
        folder=folder,
        meta=meta,
        parsed=parsed,
        intro=intro,
        intro_html=markdown_to_html(intro or "", base_url=base_url),
        sections=tuple(sections),
        agenda=fixed["agenda"],
        campaign=fixed["campaign"],
        riec=fixed["riec"],
    )
