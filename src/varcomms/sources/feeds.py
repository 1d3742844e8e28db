"""RSS and Atom documents into normalised entries, shared by the feed-based kinds.

feedparser reads the *bytes* with the response headers, so it sees the server's
encoding and the final URL (``Content-Location``) that relative links resolve against.
Its output is then normalised the way the newsletter needs it: WordPress
``content:encoded`` before the excerpt, the image from an enclosure, ``media:*`` or the
first ``<img>``, every URL absolute, the summary sanitised for email.
"""

from __future__ import annotations

import hashlib
import html
import io
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser
import nh3

from varcomms.errors import SourceError
from varcomms.sanitize import absolute_url, sanitize_html
from varcomms.sources import dates
from varcomms.sources.http import Document

dates.register()

TITLE_MAX = 300
# feedparser's "bozo" reasons that mean "recovered", not "broken".
_BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
URL_MAX = 2000
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


@dataclass(frozen=True)
class Entry:
    """One feed entry, normalised but not yet an Item (kinds decide the rest)."""

    key: str  # what makes it this entry: guid, else link, else a hash of its content
    guid: str | None
    title: str
    url: str  # absolute http(s), or "" when the entry has no link of its own
    summary_html: str
    text: str  # title and summary as plain text, for keyword rules
    published: datetime | None
    image_url: str | None
    image_alt: str | None
    categories: tuple[str, ...]
    raw: Any = field(repr=False, compare=False)  # feedparser's entry, for kind-specific fields
    # Why a date of this entry was left out ("'2022-02-30' is not a valid date").
    date_problem: str | None = None


@dataclass
class ParsedFeed:
    title: str
    link: str | None
    entries: list[Entry]
    warnings: list[str]


def parse_document(document: Document) -> Any:
    """feedparser's reading of the document's bytes, with the response headers."""
    return feedparser.parse(
        io.BytesIO(document.content),  # never a str: feedparser would open it as a path
        response_headers=_decoding_headers(document.headers),
        # nh3 sanitises and resolves links in one pass (normalise_entry); feedparser's
        # own two pure-Python passes cost four fifths of a cold collect and add nothing.
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _decoding_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers, with ``text/xml`` without a charset read the way browsers read it.

    RFC 3023 made such a document US-ASCII whatever its XML declaration says, so
    feedparser flags every non-ASCII feed served that way (a very common server default)
    as declaring the wrong encoding. Browsers and every other reader follow the XML
    declaration instead, and so do we: only a charset the server names can disagree.
    """
    found = dict(headers)
    content_type = found.get("content-type", "")
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower().startswith("text/") and "charset" not in parameters.lower():
        rest = f";{parameters}" if parameters.strip() else ""
        found["content-type"] = f"application/xml{rest}"
    return found


def parse_feed(document: Document, *, zone: tzinfo = dates.NETHERLANDS) -> ParsedFeed:
    """Parse a fetched document; raise SourceError when it is not a feed at all.

    ``zone`` is the local time of dates written without one. One broken entry is left
    out with a warning; it never takes the feed down with it.
    """
    parsed = parse_document(document)
    entries_raw = parsed.get("entries", [])
    warnings: list[str] = []
    error = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries_raw:
        if not parsed.get("version"):
            _not_a_feed(document, parsed)
        if error is not None and not isinstance(error, _BENIGN):
            raise SourceError(
                f"{document.url} is not a well-formed feed ({_describe_bozo(error, document)})",
                hint="the site publishes a broken feed; it is tried again on the next run",
            )
    if isinstance(error, feedparser.CharacterEncodingOverride):
        warnings.append(
            "the feed declares the wrong character encoding; check its text for garbled letters"
        )
    # A missing or odd Content-Type is not worth an editor's attention.
    elif error is not None and not isinstance(error, feedparser.NonXMLContentType):
        problem = _describe_bozo(error, document)
        if entries_raw:
            warnings.append(f"feed is not well-formed ({problem}); its entries were kept")
        else:
            warnings.append(f"feed is not well-formed ({problem})")
    feed = parsed.get("feed", {})
    feed_link = absolute_url(_safe(feed.get("link")), document.base_url)
    base = document.base_url or feed_link
    entries: list[Entry] = []
    empty: list[int] = []
    broken: list[str] = []
    raw_guids = _RawGuids(document.content, base)
    for position, raw in enumerate(entries_raw, start=1):
        try:
            entry = normalise_entry(raw, base_url=base, zone=zone, raw_guids=raw_guids)
        except Exception as err:  # a library's surprise on one entry: lose only that entry
            broken.append(f"entry {position}: {type(err).__name__}: {printable(str(err))}")
            continue
        if entry is None:
            empty.append(position)
        else:
            entries.append(entry)
    if empty:
        warnings.append(
            f"{len(empty)} entry(ies) without title, link or content left out ({_where(empty)})"
        )
    if broken:
        warnings.append(f"{len(broken)} unreadable entry(ies) left out (first: {broken[0]})")
    undated = [entry for entry in entries if entry.date_problem]
    if undated:
        warnings.append(
            f"{len(undated)} entry(ies) kept without a date: {undated[0].date_problem}"
            f" (first: {undated[0].title!r})"
        )
    title = plain_text(feed.get("title", "")) or ""
    return ParsedFeed(title=title, link=feed_link, entries=entries, warnings=warnings)


def _where(positions: list[int]) -> str:
    return ", ".join(map(str, positions[:5])) + (", …" if len(positions) > 5 else "")


def printable(text: str, limit: int = 200) -> str:
    """``text`` fit for a report line: control characters and binary garbage escaped."""
    shown = "".join(
        ch if ch.isprintable() and ch != "\ufffd" else ch.encode("unicode_escape").decode()
        for ch in text[:limit]
    )
    return shown[:limit] + ("…" if len(text) > limit else "")


def _not_a_feed(document: Document, parsed: Any) -> None:
    head = document.content[:2048].lstrip().lower()
    if document.content_type in ("text/html", "application/xhtml+xml") or head.startswith(
        (b"<!doctype html", b"<html")
    ):
        alternate = _feed_link_in_html(document)
        raise SourceError(
            f"{document.url} is an HTML page, not a feed",
            hint=f"the page names its feed: {alternate}"
            if alternate
            else "check the source's url; WordPress sites serve their feed at /feed/",
        )
    if not document.content.strip():
        raise SourceError(f"{document.url} is empty, not a feed")
    problem = _describe_bozo(parsed.get("bozo_exception"), document) if parsed.get("bozo") else None
    raise SourceError(
        f"{document.url} is not an RSS or Atom feed" + (f" ({problem})" if problem else ""),
        hint="check the source's url and kind",
    )


def _has_xml_declaration(content: bytes) -> bool:
    return content.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"<?xml"


def _describe_bozo(error: object, document: Document | None = None) -> str:
    if error is None:
        return "unknown problem"
    name = type(error).__name__
    text = str(error).strip()
    if name == "NonXMLContentType":
        return "served with a non-XML content type"
    located = re.match(r"<unknown>:(\d+):(\d+): (.*)", text, re.S)
    if located:  # a SAX error: say where, the way an editor would look for it
        line = int(located[1])
        # feedparser puts an XML declaration line in front when the document has none.
        if document is not None and not _has_xml_declaration(document.content):
            line = max(1, line - 1)
        text = f"line {line}, column {int(located[2]) + 1}: {located[3]}"  # expat counts from 0
    return text[:200] if text else name


class _FeedLinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if (
            self.href is None
            and tag == "link"
            and "alternate" in values.get("rel", "").lower().split()
            and values.get("type", "").lower()
            in ("application/rss+xml", "application/atom+xml", "text/calendar")
        ):
            self.href = values.get("href")


def _feed_link_in_html(document: Document) -> str | None:
    finder = _FeedLinkFinder()
    try:
        finder.feed(document.content[:200_000].decode("utf-8", "replace"))
    except Exception:
        return None
    return absolute_url(finder.href, document.base_url) if finder.href else None


# -- entries -----------------------------------------------------------------------------


def normalise_entry(
    raw: Any,
    *,
    base_url: str | None,
    zone: tzinfo = dates.NETHERLANDS,
    raw_guids: _RawGuids | None = None,
) -> Entry | None:
    """One feedparser entry as an :class:`Entry`; None when it carries nothing at all."""
    url = _entry_link(raw, base_url)
    page = url or base_url  # relative links in the content point from the entry's page
    body, body_base = _body_html(raw)
    # The content's own base (xml:base, else the feed's URL) first, as feedparser would
    # resolve it; nh3 does that in its one pass (see parse_document).
    summary_html = sanitize_html(body, base_url=body_base or page)
    summary_text = sanitised_text(summary_html)
    image_url, image_alt = _image(raw, page, summary_html)
    title = _title(raw) or _snippet(summary_text) or url
    if not title and not image_url:
        return None
    title = title or "(zonder titel)"
    guid = _own_guid(raw, raw_guids) or None
    key = guid or url or _content_key(title, summary_html)
    published, date_problem = entry_date(raw, zone)
    return Entry(
        key=key,
        guid=guid[:1000] if guid else None,
        title=_clip(title, TITLE_MAX),
        url=url,
        summary_html=summary_html,
        text=f"{title}\n{summary_text}",
        published=published,
        image_url=image_url,
        image_alt=_clip(image_alt or title, 500) if image_url else None,
        categories=_categories(raw),
        raw=raw,
        date_problem=date_problem,
    )


def _safe(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


class _RawGuids:
    """The ``<guid>`` texts as the feed writes them, before feedparser resolves them.

    feedparser resolves a permalink guid such as ``<guid>1001</guid>`` against the feed's
    URL, so the same entry would get another key once the feed moves to a new host or to
    https. The guid is the source's identity for the entry, so it is kept as written.
    """

    _GUID = re.compile(
        rb"<(?:[\w.-]+:)?guid\b[^>]*>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*"
        rb"</(?:[\w.-]+:)?guid\s*>",
        re.S | re.I,
    )

    def __init__(self, content: bytes, base_url: str | None) -> None:
        self._content = content
        self._base_url = base_url
        self._written: dict[str, str] | None = None

    def as_written(self, guid: str) -> str:
        """``guid`` as the feed wrote it, when feedparser made it absolute."""
        if self._written is None:  # found once, on the first resolved guid
            self._written = {}
            if self._base_url:
                for value in self._GUID.findall(self._content):
                    text = html.unescape(value.decode("utf-8", "replace")).strip()
                    if text and "://" not in text:
                        self._written.setdefault(urljoin(self._base_url, text), text)
        return self._written.get(guid, guid)


def _own_guid(raw: Any, raw_guids: _RawGuids | None) -> str:
    """The entry's guid as the feed wrote it (see :class:`_RawGuids`)."""
    guid = _safe(raw.get("id"))
    if not guid or not raw.get("guidislink") or raw_guids is None:
        return guid
    return raw_guids.as_written(guid)


def _entry_link(raw: Any, base_url: str | None) -> str:
    link = _safe(raw.get("link"))
    if not link and raw.get("guidislink"):
        link = _safe(raw.get("id"))
    url = absolute_url(link, base_url) if link else None
    return url if url and len(url) <= URL_MAX else ""


def _title(raw: Any) -> str:
    title = raw.get("title")
    if not isinstance(title, str):
        return ""
    detail = raw.get("title_detail") or {}
    if detail.get("type") in _HTML_TYPES:
        return plain_text(title)
    return " ".join(title.split())


def _body_html(raw: Any) -> tuple[str, str | None]:
    """WordPress content:encoded (full text) before the description (an excerpt), with
    the base URL its relative links are written against.

    HTML content first, then the summary, then plain-text content (shown as paragraphs).
    """
    contents = [c for c in raw.get("content") or () if (c.get("value") or "").strip()]
    for content in contents:
        if content.get("type", "text/html") in _HTML_TYPES:
            return content["value"], content.get("base") or None
    summary = raw.get("summary")
    if isinstance(summary, str) and summary.strip():
        detail: Any = raw.get("summary_detail") or next(
            (c for c in contents if c.get("value") == summary), {}
        )
        base = detail.get("base") or None
        if _summary_type(raw, summary, contents) in _HTML_TYPES:
            return summary, base
        return _text_as_html(summary), base
    if contents:
        return _text_as_html(contents[0]["value"]), contents[0].get("base") or None
    return "", None


def _summary_type(raw: Any, summary: str, contents: list[Any]) -> str:
    """The summary's type. feedparser copies an Atom entry's content into ``summary``
    without its ``summary_detail``; the type is then the content's (``type="text"`` is
    text, not markup). RSS descriptions are HTML in practice."""
    detail = raw.get("summary_detail")
    if detail and detail.get("type"):
        return str(detail["type"])
    for content in contents:
        if content.get("value") == summary and content.get("type"):
            return str(content["type"])
    return "text/html"


def _text_as_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


# nh3 serialises what it keeps in one form (lower-case names, double-quoted values,
# entities escaped), so the first <img> of a sanitised summary is found without a parser.
_IMG = re.compile(r"<img\b([^>]*)>")
_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"')


def _first_image(summary_html: str) -> tuple[str | None, str | None]:
    """The src and alt of the first ``<img>`` with a src in sanitised HTML."""
    for match in _IMG.finditer(summary_html):
        values = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(match[1])}
        if values.get("src"):
            return values["src"], values.get("alt", "").strip() or None
    return None, None


def _image(raw: Any, page: str | None, summary_html: str) -> tuple[str | None, str | None]:
    """The entry's picture: enclosure, media:thumbnail/content, else the first <img>."""
    first_src, first_alt = _first_image(summary_html)
    candidates: list[str] = []
    for enclosure in raw.get("enclosures") or ():
        href = _safe(enclosure.get("href") or enclosure.get("url"))
        kind = str(enclosure.get("type", "")) or (mimetypes.guess_type(href)[0] or "")
        if href and kind.startswith("image/"):
            candidates.append(href)
    for thumb in raw.get("media_thumbnail") or ():
        candidates.append(_safe(thumb.get("url")))
    for media in raw.get("media_content") or ():
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            candidates.append(_safe(media.get("url")))
    if first_src:
        candidates.append(first_src)
    for candidate in candidates:
        # RSS enclosures are not made absolute by feedparser; email needs them absolute.
        url = absolute_url(candidate, page)
        if url and len(url) <= URL_MAX:
            alt = first_alt if first_src and absolute_url(first_src, page) == url else None
            return url, alt
    return None, None


def entry_published(raw: Any, zone: tzinfo = dates.NETHERLANDS) -> datetime | None:
    """When an entry was published (or updated), as UTC; None when unknown or unusable."""
    return entry_date(raw, zone)[0]


def entry_date(raw: Any, zone: tzinfo = dates.NETHERLANDS) -> tuple[datetime | None, str | None]:
    """When an entry was published (or updated), as UTC, or why its date is unusable.

    The forms :mod:`~varcomms.sources.dates` knows are read there (naive is local time,
    Dutch names, day-first numbers); feedparser's reading is used for the others.
    """
    problem: str | None = None
    for key in ("published", "updated", "created"):
        # dict.get: feedparser's own get() maps a missing "updated" to "published",
        # with a DeprecationWarning each time.
        text = dict.get(raw, key) if isinstance(raw, dict) else raw.get(key)
        if not isinstance(text, str) or not text.strip():
            continue
        reading = dates.read_date(text, zone)
        if reading is None:
            parsed = dict.get(raw, f"{key}_parsed") if isinstance(raw, dict) else None
            value = dates.struct_to_utc(parsed)
            if value is not None:
                return value, None
            problem = problem or f"{printable(text.strip(), 60)!r} is not a date varcomms can read"
        elif reading.value is not None:
            return reading.value, None
        else:
            problem = problem or reading.problem
    return None, problem


def _categories(raw: Any) -> tuple[str, ...]:
    found: list[str] = []
    for tag in raw.get("tags") or ():
        for name in (tag.get("term"), tag.get("label")):
            if isinstance(name, str) and name.strip() and name.strip() not in found:
                found.append(name.strip())
    return tuple(found)


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment, entities decoded, whitespace collapsed."""
    if not fragment:
        return ""
    stripped = nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"})
    return " ".join(html.unescape(stripped).split())


_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|code|del|em|i|s|small|span|strong|sub|sup|u)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")


def sanitised_text(fragment: str) -> str:
    """Text of HTML that :func:`sanitize_html` produced (no scripts or comments left, every
    ``<`` in text escaped), without a second parse: inline tags join their words, other
    tags separate them, entities are decoded."""
    if not fragment:
        return ""
    text = _TAG.sub(" ", _INLINE_TAG.sub("", fragment))
    return " ".join(html.unescape(text).split())


def _snippet(text: str, limit: int = 80) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _content_key(title: str, summary_html: str) -> str:
    digest = hashlib.sha256(f"{title}\x00{summary_html}".encode()).hexdigest()
    return f"content:{digest[:24]}"
