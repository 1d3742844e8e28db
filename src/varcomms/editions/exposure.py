"""Checks of what an edition's content exposes to others, and where its links lead.

Content comes from editors and from feeds nobody here controls, so lint looks for what
could carry readers' data out or give them away: placeholder syntax that delivery or a
mail service would fill in (F4), tracking pixels and images from third parties (F18),
and, with ``--check-links``, links that do not resolve or point into a local network
(F20), inside the text as well as in the items' own fields (U8).
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

from varcomms.config import Config
from varcomms.editions.addresses import AddressPolicy, is_public
from varcomms.editions.links import check_links
from varcomms.editions.reader import EDITION_FILE, INTRO_FILE, EditionDocument
from varcomms.findings import Finding, error, warning
from varcomms.models import FORGEABLE_PLACEHOLDER
from varcomms.safefiles import read_text_inside


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
            for own in (item.entry.link, item.entry.image, item.entry.ics):
                add(own, item.file, item.line)
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
