"""Content checks on an edition. Errors block sign-off; warnings inform.

Each finding names the file and line it is about. Checks that belong to later stages
(rendered HTML size, accessibility of the template) plug in through ``checks``: any
callable taking the document and the config and yielding :class:`Finding`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Literal

from varcomms.config import Config
from varcomms.context import Context
from varcomms.editions.links import check_links
from varcomms.editions.reader import (
    EDITION_FILE,
    FIXED_SECTIONS,
    INTRO_FILE,
    EditionDocument,
    ItemDoc,
    SectionDoc,
    read_folder,
)
from varcomms.editions.signoff import ROLE_LABELS, check_signoffs, required_roles
from varcomms.errors import InputError
from varcomms.models import EditionStatus

Severity = Literal["error", "warning"]
PLACEHOLDER = "TODO"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class LintReport:
    edition_id: str
    findings: list[Finding] = field(default_factory=list)
    links_checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        return {
            "edition": self.edition_id,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "links_checked": self.links_checked,
            "findings": [asdict(finding) for finding in self.findings],
        }


Check = Callable[[EditionDocument, Config], Iterable[Finding]]


def _error(code: str, message: str, file: str | None = None, line: int | None = None) -> Finding:
    return Finding("error", code, message, file, line)


def _warning(code: str, message: str, file: str | None = None, line: int | None = None) -> Finding:
    return Finding("warning", code, message, file, line)


# -- individual checks ---------------------------------------------------------------------


def check_header(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    meta, limits = doc.meta, config.editions
    if len(meta.subject) > limits.subject_max_chars:
        yield _error(
            "subject-length",
            f"subject is {len(meta.subject)} characters; the limit is {limits.subject_max_chars}",
            EDITION_FILE,
            doc.yaml_line("subject"),
        )
    if not meta.preheader.strip():
        yield _warning(
            "preheader-missing",
            "no preheader: mail clients will show the first text of the body instead",
            EDITION_FILE,
            doc.yaml_line("preheader"),
        )
    elif len(meta.preheader) > limits.preheader_max_chars:
        yield _warning(
            "preheader-length",
            f"preheader is {len(meta.preheader)} characters; clients show about "
            f"{limits.preheader_max_chars}",
            EDITION_FILE,
            doc.yaml_line("preheader"),
        )
    for key in ("title", "subject", "preheader"):
        if PLACEHOLDER in getattr(meta, key):
            yield _error(
                "placeholder",
                f"{key} still contains {PLACEHOLDER}",
                EDITION_FILE,
                doc.yaml_line(key),
            )
    if meta.planned is None:
        yield _warning("planned-missing", "no planned send time", EDITION_FILE, doc.yaml_line("id"))
    if meta.audience and not (config.audiences_dir / f"{meta.audience}.yaml").is_file():
        yield _warning(
            "audience-unknown",
            f"audience {meta.audience!r} has no segment file {meta.audience}.yaml "
            f"in {config.audiences_dir}",
            EDITION_FILE,
            doc.yaml_line("audience"),
        )
    if doc.intro is None or not doc.intro.strip():
        yield _warning("intro-missing", "no voorwoord (intro.md is missing or empty)", INTRO_FILE)
    elif PLACEHOLDER in doc.intro:
        line = next(n for n, text in enumerate(doc.intro.splitlines(), 1) if PLACEHOLDER in text)
        yield _error("placeholder", f"the voorwoord still contains {PLACEHOLDER}", INTRO_FILE, line)


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
            yield _error(
                "alt-missing",
                f"image of {entry.title!r} has no alt text",
                item.file,
                item.line,
            )
        for src in _images_without_alt(item.summary_html):
            yield _error(
                "alt-missing",
                f"image {src} in {entry.title!r} has no alt text",
                item.file,
                item.line,
            )
        if PLACEHOLDER in entry.title or PLACEHOLDER in item.body:
            yield _error(
                "placeholder", f"{entry.title!r} still contains {PLACEHOLDER}", item.file, item.line
            )
    for src in _images_without_alt(doc.intro_html):
        yield _error("alt-missing", f"image {src} has no alt text", INTRO_FILE)


def check_sections(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    joint = "riec" in doc.meta.brands
    for section in doc.all_sections:
        if section.items or section.role == "riec":
            continue
        yield _warning(
            "section-empty",
            f"section {section.title!r} has no items",
            section.file,
            section.header_line or 1,
        )
    if joint and (doc.riec is None or not doc.riec.items):
        yield _error(
            "riec-section-missing",
            "the edition carries the RIEC brand but has no RIEC section with items",
            "riec.md",
        )
    if not joint and doc.riec is not None:
        yield _warning(
            "riec-section-unused",
            "riec.md is not sent: the edition does not carry the riec brand",
            "riec.md",
        )
    expected = {f"{slug}.md" for slug in doc.meta.sections}
    expected |= {INTRO_FILE, *(f"{name}.md" for name, _role, _title in FIXED_SECTIONS)}
    for path in sorted(doc.folder.glob("*.md")):
        if path.name not in expected:
            yield _warning(
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
            yield _error(
                "event-past",
                f"{entry.title!r} ({start:%Y-%m-%d}) is already past at the planned date",
                item.file,
                item.line,
            )
        elif not entry.all_day and start.date() == planned_day and start < planned:
            yield _warning(
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
        first = by_id.get(entry.item) if entry.item else None
        if first is None and entry.link:
            first = by_url.get(_normal_url(entry.link))
        if first is not None:
            yield _error(
                "duplicate",
                f"{entry.title!r} is already in the edition at {first.where}",
                item.file,
                item.line,
            )
            continue
        if entry.item:
            by_id[entry.item] = item
        if entry.link:
            by_url[_normal_url(entry.link)] = item
        if entry.link and entry.link.lower().startswith("http://"):
            yield _warning("link-insecure", f"{entry.link} is not https", item.file, item.line)


def check_workflow(doc: EditionDocument, config: Config, now: datetime) -> Iterator[Finding]:
    meta = doc.meta
    valid, voided = check_signoffs(doc)
    line = doc.yaml_line("signoffs") if meta.signoffs else doc.yaml_line("status")
    for void in voided:
        if meta.status is EditionStatus.SENT:
            yield _error(
                "changed-after-send",
                f"files changed after the edition was sent: {', '.join(void.changed)}",
                EDITION_FILE,
                line,
            )
        else:
            yield _warning("signoff-void", void.describe(), EDITION_FILE, line)
    if meta.status in (EditionStatus.APPROVED, EditionStatus.SCHEDULED, EditionStatus.SENDING):
        signed = {record.role for record in valid}
        missing = [ROLE_LABELS[r] for r in required_roles(meta.brands) if r not in signed]
        if missing:
            yield _error(
                "signoff-missing",
                f"status is {meta.status.value} but the {' and '.join(missing)} sign-off is "
                "missing or void",
                EDITION_FILE,
                doc.yaml_line("status"),
            )
    open_statuses = (EditionStatus.DRAFT, EditionStatus.REVIEW, EditionStatus.APPROVED)
    if meta.planned is not None and meta.status in open_statuses and meta.planned < now:
        yield _warning(
            "planned-past",
            f"planned time {meta.planned:%Y-%m-%d %H:%M} has passed",
            EDITION_FILE,
            doc.yaml_line("planned"),
        )


def check_link_targets(
    doc: EditionDocument, config: Config, timeout: float
) -> tuple[list[Finding], int]:
    places: dict[str, list[ItemDoc]] = {}
    for _section, item in _items(doc):
        for url in (item.entry.link, item.entry.image, item.entry.ics):
            if url:
                places.setdefault(url, []).append(item)
    settings = config.collect
    results = check_links(
        places,
        timeout=timeout,
        connect_timeout=min(settings.connect_timeout, timeout),
        concurrency=settings.concurrency,
        user_agent=settings.user_agent,
    )
    findings: list[Finding] = []
    for url, result in sorted(results.items()):
        if result.outcome == "ok":
            continue
        for item in places[url]:
            if result.outcome == "timeout":
                findings.append(
                    _warning("link-timeout", f"{url}: {result.detail}", item.file, item.line)
                )
            else:
                findings.append(
                    _error(
                        "link-broken",
                        f"{url} does not resolve ({result.detail})",
                        item.file,
                        item.line,
                    )
                )
    return findings, len(results)


# -- the report ----------------------------------------------------------------------------

CONTENT_CHECKS: tuple[Check, ...] = (
    check_header,
    check_images,
    check_sections,
    check_agenda,
    check_duplicates,
)


def lint_document(
    doc: EditionDocument,
    config: Config,
    now: datetime,
    *,
    check_links: bool = False,
    link_timeout: float = 10.0,
    checks: Iterable[Check] = (),
) -> LintReport:
    report = LintReport(doc.id)
    for check in (*CONTENT_CHECKS, *checks):
        report.findings.extend(check(doc, config))
    report.findings.extend(check_workflow(doc, config, now))
    if check_links:
        found, count = check_link_targets(doc, config, link_timeout)
        report.findings.extend(found)
        report.links_checked = count
    return report


def lint_edition(
    ctx: Context,
    edition_id: str,
    *,
    check_links: bool = False,
    link_timeout: float = 10.0,
    checks: Iterable[Check] = (),
) -> LintReport:
    """Lint an edition folder. A file that cannot be read is reported, not raised."""
    try:
        doc = read_folder(ctx.config, edition_id)
    except InputError as err:
        where = err.path.name if err.path is not None else None
        prefix = f"{err.path}:{err.line}: " if err.line is not None else f"{err.path}: "
        message = err.message.removeprefix(prefix) if where else err.message
        return LintReport(edition_id, [_error("format", message, where, err.line)])
    return lint_document(
        doc,
        ctx.config,
        ctx.clock.now(),
        check_links=check_links,
        link_timeout=link_timeout,
        checks=checks,
    )
