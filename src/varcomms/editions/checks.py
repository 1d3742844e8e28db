"""The content checks lint runs. Each takes the document and the config and yields
findings that name the file and line they are about."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urlsplit

from varcomms.config import Config
from varcomms.editions.addresses import AddressPolicy, is_public
from varcomms.editions.links import check_links
from varcomms.editions.reader import (
    EDITION_FILE,
    FIXED_SECTIONS,
    INTRO_FILE,
    EditionDocument,
    ItemDoc,
    SectionDoc,
)
from varcomms.editions.signoff import ROLE_LABELS, check_signoffs, required_roles
from varcomms.models import FORGEABLE_PLACEHOLDER, EditionStatus
from varcomms.safefiles import read_text_inside

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


def error(code: str, message: str, file: str | None = None, line: int | None = None) -> Finding:
    return Finding("error", code, message, file, line)


def warning(code: str, message: str, file: str | None = None, line: int | None = None) -> Finding:
    return Finding("warning", code, message, file, line)


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


def check_placeholders(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    """Placeholder syntax in content (F4): render defuses it, but it is never meant.

    Written by an editor or brought in by a feed, ``%%VARCOMMS_…%%``, ``%recipient.x%``,
    ``-varcomms-x-`` or ``{{ … }}`` would ask delivery or the mail service to put a
    reader's name or signed links there, perhaps into a third party's URL.
    """
    for name in doc.content_files:
        path = doc.folder / name
        if not path.is_file():
            continue
        text = read_text_inside(path, doc.folder)
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#") and name == EDITION_FILE:
                continue
            found = FORGEABLE_PLACEHOLDER.search(line)
            if found:
                yield error(
                    "content-placeholder",
                    f"{found.group(0)!r} is placeholder syntax of varcomms or a mail service; "
                    "content may not contain it (write it differently or remove it)",
                    name,
                    number,
                )


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


class _ImageSizes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[tuple[str, str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            self.images.append((values.get("src") or "", values.get("width"), values.get("height")))


def _images(html: str) -> list[tuple[str, str | None, str | None]]:
    parser = _ImageSizes()
    parser.feed(html)
    parser.close()
    return parser.images


# An image this small shows nothing: it is there to report that the mail was opened.
TRACKING_PIXEL_MAX = 2


def _tiny(value: str | None) -> bool:
    digits = (value or "").strip().removesuffix("px").strip()
    return digits.isdigit() and int(digits) <= TRACKING_PIXEL_MAX


def trusted_image_hosts(config: Config) -> tuple[str, ...]:
    hosts = {host.lower().strip(".") for host in config.editions.image_hosts}
    for brand in config.brands.values():
        for url in (brand.website, brand.logo_url):
            host = urlsplit(url).hostname
            if host:
                hosts.add(host.removeprefix("www."))
    return tuple(sorted(hosts))


def _trusted(host: str, trusted: tuple[str, ...]) -> bool:
    host = host.lower().strip(".")
    return any(host == known or host.endswith(f".{known}") for known in trusted)


def check_tracking_images(doc: EditionDocument, config: Config) -> Iterator[Finding]:
    """Images that tell a third party who reads the mail (F18).

    Police, OM and municipality staff read this newsletter: an image from any host but
    the brands' own (and ``[editions] image_hosts``) is a warning, and a 1x1 image, which
    exists only to report an open, is an error.
    """
    trusted = trusted_image_hosts(config)
    places: list[tuple[str, str | None, str | None, str, int | None]] = []
    for src, width, height in _images(doc.intro_html):
        places.append((src, width, height, INTRO_FILE, _line_of(doc.intro or "", src) or 1))
    for section in doc.all_sections:
        for src, width, height in _images(section.intro_html):
            places.append((src, width, height, section.file, section.header_line))
        for item in section.items:
            if item.entry.image:
                places.append((item.entry.image, None, None, item.file, item.line))
            for src, width, height in _images(item.summary_html):
                places.append((src, width, height, item.file, item.line))
    for src, width, height, file, line in places:
        if _tiny(width) or _tiny(height):
            yield error(
                "tracking-pixel",
                f"image {src} is {width or '?'}x{height or '?'} pixels: it shows nothing and "
                "only reports who opened the mail; remove it",
                file,
                line,
            )
            continue
        host = urlsplit(src).hostname
        if host and not _trusted(host, trusted):
            yield warning(
                "image-third-party",
                f"image {src} is loaded from {host}, which then learns who opens the mail "
                "and when; copy it to the brand's website, or add the host to "
                "[editions] image_hosts if it is trusted",
                file,
                line,
            )


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
        first = by_id.get(entry.item) if entry.item else None
        if first is None and entry.link:
            first = by_url.get(_normal_url(entry.link))
        if first is not None:
            yield error(
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


class _Links(HTMLParser):
    """Every link and image address in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def links_in(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.urls


def _line_of(text: str, needle: str, first_line: int = 1) -> int | None:
    for number, line in enumerate(text.splitlines(), first_line):
        if needle in line:
            return number
    return None


def link_places(doc: EditionDocument) -> dict[str, list[tuple[str, int | None]]]:
    """Where every URL of the edition stands: items' link, image and ics fields, and
    the links and images inside the text (U8), each as (file, line)."""
    places: dict[str, list[tuple[str, int | None]]] = {}

    def add(url: str | None, file: str, line: int | None) -> None:
        if url and (file, line) not in places.setdefault(url, []):
            places[url].append((file, line))

    for url in links_in(doc.intro_html):
        add(url, INTRO_FILE, _line_of(doc.intro or "", url) or 1)
    for section in doc.all_sections:
        for url in links_in(section.intro_html):
            add(url, section.file, section.header_line)
        for item in section.items:
            for url in (item.entry.link, item.entry.image, item.entry.ics):
                add(url, item.file, item.line)
            for url in links_in(item.summary_html):
                add(url, item.file, item.line)
    return places


def check_link_targets(
    doc: EditionDocument,
    config: Config,
    timeout: float,
    allow: AddressPolicy = is_public,
) -> tuple[list[Finding], int]:
    places = link_places(doc)
    settings = config.collect
    results = check_links(
        places,
        timeout=timeout,
        connect_timeout=min(settings.connect_timeout, timeout),
        concurrency=settings.concurrency,
        per_host=settings.per_host,
        user_agent=settings.user_agent,
        allow=allow,
    )
    findings: list[Finding] = []
    for url, result in sorted(results.items()):
        if result.outcome == "ok":
            continue
        for file, line in places[url]:
            if result.outcome == "timeout":
                findings.append(warning("link-timeout", f"{url}: {result.detail}", file, line))
            elif result.outcome == "private":
                findings.append(
                    error(
                        "link-private",
                        f"{url} points at a local or private address ({result.detail}); "
                        "readers cannot reach it, and it was not requested",
                        file,
                        line,
                    )
                )
            else:
                findings.append(
                    error("link-broken", f"{url} does not resolve ({result.detail})", file, line)
                )
    return findings, len(results)
