"""The content checks lint runs. Each takes the document and the config and yields
findings that name the file and line they are about."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser

from varcomms.config import Config
from varcomms.editions.reader import (
    EDITION_FILE,
    FIXED_SECTIONS,
    INTRO_FILE,
    EditionDocument,
    ItemDoc,
    SectionDoc,
)
from varcomms.editions.signoff import ROLE_LABELS, check_signoffs, required_roles
from varcomms.findings import Finding, error, warning
from varcomms.models import EditionStatus

PLACEHOLDER = "TODO"

# -- individual checks ---------------------------------------------------------------------


def check_header(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    meta, limits = doc.meta, config.editions
    if len(meta.subject) > limits.subject_max_chars:
        yield error(
            "subject-length",
            f"subject is {len(meta.subject)} characters; the limit is {limits.subject_max_chars}",
            EDITION_FILE,
            doc.yaml_line("subject"),
        )
    if not meta.preheader.strip():
        yield warning(
            "preheader-missing",
            "no preheader: mail clients will show the first text of the body instead",
            EDITION_FILE,
            doc.yaml_line("preheader"),
        )
    elif len(meta.preheader) > limits.preheader_max_chars:
        yield warning(
            "preheader-length",
            f"preheader is {len(meta.preheader)} characters; clients show about "
            f"{limits.preheader_max_chars}",
            EDITION_FILE,
            doc.yaml_line("preheader"),
        )
    for key in ("title", "subject", "preheader"):
        if PLACEHOLDER in getattr(meta, key):
            yield error(
                "placeholder",
                f"{key} still contains {PLACEHOLDER}",
                EDITION_FILE,
                doc.yaml_line(key),
            )
    if meta.planned is None:
        yield warning("planned-missing", "no planned send time", EDITION_FILE, doc.yaml_line("id"))
    if meta.audience and not (config.audiences_dir / f"{meta.audience}.yaml").is_file():
        yield warning(
            "audience-unknown",
            f"audience {meta.audience!r} has no segment file {meta.audience}.yaml "
            f"in {config.audiences_dir}",
            EDITION_FILE,
            doc.yaml_line("audience"),
        )
    if doc.intro is None or not doc.intro.strip():
        yield warning("intro-missing", "no voorwoord (intro.md is missing or empty)", INTRO_FILE)
    elif PLACEHOLDER in doc.intro:
        line = next(n for n, text in enumerate(doc.intro.splitlines(), 1) if PLACEHOLDER in text)
        yield error("placeholder", f"the voorwoord still contains {PLACEHOLDER}", INTRO_FILE, line)


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.without_alt: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            if not (values.get("alt") or "").strip():
                self.without_alt.append(values.get("src") or "(no src)")


def _images_without_alt(html: str) -> list[str]:
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.without_alt


def _items(doc: EditionDocument) -> Iterator[tuple[SectionDoc, ItemDoc]]:
    for section in doc.all_sections:
        for item in section.items:
            yield section, item


def check_images(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    for _section, item in _items(doc):
        entry = item.entry
        if entry.image and not (entry.alt or "").strip():
            yield error(
                "alt-missing",
                f"image of {entry.title!r} has no alt text",
                item.file,
                item.line,
            )
        for src in _images_without_alt(item.summary_html):
            yield error(
                "alt-missing",
                f"image {src} in {entry.title!r} has no alt text",
                item.file,
                item.line,
            )
        if PLACEHOLDER in entry.title or PLACEHOLDER in item.body:
            yield error(
                "placeholder", f"{entry.title!r} still contains {PLACEHOLDER}", item.file, item.line
            )
    for src in _images_without_alt(doc.intro_html):
        yield error("alt-missing", f"image {src} has no alt text", INTRO_FILE)


def check_sections(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    joint = "riec" in doc.meta.brands
    for section in doc.all_sections:
        if section.items or section.role == "riec":
            continue
        yield warning(
            "section-empty",
            f"section {section.title!r} has no items",
            section.file,
            section.header_line or 1,
        )
    if joint and (doc.riec is None or not doc.riec.items):
        yield error(
            "riec-section-missing",
            "the edition carries the RIEC brand but has no RIEC section with items",
            "riec.md",
        )
    if not joint and doc.riec is not None:
        yield warning(
            "riec-section-unused",
            "riec.md is not sent: the edition does not carry the riec brand",
            "riec.md",
        )
    expected = {f"{slug}.md" for slug in doc.meta.sections}
    expected |= {INTRO_FILE, *(f"{name}.md" for name, _role, _title in FIXED_SECTIONS)}
    for path in sorted(doc.folder.glob("*.md")):
        if path.name not in expected:
            yield warning(
                "file-unlisted",
                f"{path.name} is not part of the edition (add it to 'sections' in {EDITION_FILE})",
                path.name,
            )


def check_agenda(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    planned = doc.meta.planned
    if planned is None:
        return
    planned_day = planned.astimezone(config.tz).date()
    for _section, item in _items(doc):
        entry = item.entry
        if entry.start is None:
            continue
        start = entry.start.astimezone(config.tz)
        finish = (entry.end or entry.start).astimezone(config.tz)
        if finish.date() < planned_day:
            yield error(
                "event-past",
                f"{entry.title!r} ({start:%Y-%m-%d}) is already past at the planned date",
                item.file,
                item.line,
            )
        elif not entry.all_day and start.date() == planned_day and start < planned:
            yield warning(
                "event-started",
                f"{entry.title!r} starts at {start:%H:%M}, before the newsletter goes out",
                item.file,
                item.line,
            )


def _normal_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def check_duplicates(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    by_id: dict[str, ItemDoc] = {}
    by_url: dict[str, ItemDoc] = {}
    for _section, item in _items(doc):
        entry = item.entry
        # Say what is duplicated: the same pool item, or only the same link (U9).
        first = by_id.get(entry.item) if entry.item else None
        if first is not None:
            what = f"{entry.title!r} is already in the edition"
        elif entry.link and (first := by_url.get(_normal_url(entry.link))) is not None:
            same_title = first.entry.title == entry.title
            what = (
                f"{entry.title!r} is already in the edition"
                if same_title
                else f"the link of {entry.title!r} ({entry.link}) is already used by "
                f"{first.entry.title!r}"
            )
        if first is not None:
            yield error("duplicate", f"{what} at {first.where}", item.file, item.line)
            continue
        if entry.item:
            by_id[entry.item] = item
        if entry.link:
            by_url[_normal_url(entry.link)] = item
        if entry.link and entry.link.lower().startswith("http://"):
            yield warning("link-insecure", f"{entry.link} is not https", item.file, item.line)


def check_workflow(doc: EditionDocument, config: Config, now: datetime) -> Iterator[Finding]:
    meta = doc.meta
    valid, voided = check_signoffs(doc)
    line = doc.yaml_line("signoffs") if meta.signoffs else doc.yaml_line("status")
    for void in voided:
        if meta.status is EditionStatus.SENT:
            yield error(
                "changed-after-send",
                f"files changed after the edition was sent: {', '.join(void.changed)}",
                EDITION_FILE,
                line,
            )
        else:
            yield warning("signoff-void", void.describe(), EDITION_FILE, line)
    if meta.status in (EditionStatus.APPROVED, EditionStatus.SCHEDULED, EditionStatus.SENDING):
        signed = {record.role for record in valid}
        missing = [ROLE_LABELS[r] for r in required_roles(meta.brands) if r not in signed]
        if missing:
            yield error(
                "signoff-missing",
                f"status is {meta.status.value} but the {' and '.join(missing)} sign-off is "
                "missing or void",
                EDITION_FILE,
                doc.yaml_line("status"),
            )
    open_statuses = (EditionStatus.DRAFT, EditionStatus.REVIEW, EditionStatus.APPROVED)
    if meta.planned is not None and meta.status in open_statuses and meta.planned < now:
        yield warning(
            "planned-past",
            f"planned time {meta.planned:%Y-%m-%d %H:%M} has passed",
            EDITION_FILE,
            doc.yaml_line("planned"),
        )
