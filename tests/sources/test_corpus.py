"""Every file of the shared corpus goes through the collector, read where it lives.

The corpus (``../shared/corpus``, see its MANIFEST.txt) holds real-world feeds and
calendars from public test suites. Feeds are served by a loopback HTTP server with the
response headers their comments ask for; calendars are read from disk. One collect run
takes them all; the tests below check each file's outcome and, where the manifest's
expectation concerns the newsletter (sanitising, relative URLs, dates, encodings), the
value that lands in the item pool.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import ROOT, SHARED, shared_path
from tests.sources.conftest import FeedServer, source
from varcomms import pool, sources
from varcomms.clock import FakeClock
from varcomms.config import Config, load_config
from varcomms.context import Context
from varcomms.models import Item
from varcomms.sources import CollectReport, SourceReport, SourceStatus
from varcomms.sources.feeds import entry_published, parse_document, parse_feed
from varcomms.sources.http import HttpClient

CORPUS = SHARED / "corpus"
_HEADER = re.compile(r"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.M)


def corpus_files(*patterns: str) -> list[str]:
    if not CORPUS.exists():
        return ["(corpus absent)"]
    found = {p for pattern in patterns for p in CORPUS.rglob(pattern)}
    return sorted(str(p.relative_to(CORPUS)) for p in found)


FEEDS = corpus_files("*.xml", "*.rss")
CALENDARS = corpus_files("*.ics")


def name_of(relative: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", relative.lower()).strip("-")


def served_headers(content: bytes) -> dict[str, str]:
    """The HTTP headers a feedparser test file asks for in its comment."""
    comment = content.split(b"-->", 1)[0].decode("utf-8", "replace")
    return {name: value for name, value in _HEADER.findall(comment)}


@dataclass
class CorpusRun:
    server: FeedServer
    ctx: Context
    report: CollectReport

    def line(self, relative: str) -> SourceReport:
        return self.report.source(name_of(relative))

    def items(self, relative: str) -> list[Item]:
        return pool.list_items(self.ctx.store, source=name_of(relative))

    def url(self, relative: str) -> str:
        return self.server.url("/" + relative)


def corpus_config(tmp: Path, server: FeedServer) -> Config:
    configured = []
    for relative in FEEDS:
        content = (CORPUS / relative).read_bytes()
        headers = served_headers(content)
        content_type = headers.pop("Content-type", None)
        server.add("/" + relative, body=content, content_type=content_type, headers=headers)
        configured.append(source(name_of(relative), url=server.url("/" + relative)))
    for relative in CALENDARS:
        configured.append(source(name_of(relative), kind="ical", path=CORPUS / relative))
    config = load_config(ROOT / "varcomms.toml")
    paths = config.paths.model_copy(update={"data": tmp})
    return config.model_copy(update={"paths": paths, "sources": tuple(configured)})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusRun]:
    shared_path("corpus")
    tmp = tmp_path_factory.mktemp("corpus")
    server = FeedServer().start()
    ctx = Context(
        config=corpus_config(tmp, server),
        # Before every corpus event, so that no event is left out as past.
        clock=FakeClock(datetime(2000, 1, 1, tzinfo=UTC)),
        console=Console(file=StringIO()),
        database_url=f"sqlite:///{tmp / 'corpus.db'}",
    )
    try:
        yield CorpusRun(server, ctx, sources.collect(ctx))
    finally:
        ctx.close()
        server.stop()


# -- every file ---------------------------------------------------------------------------

# Files that are not a usable feed or calendar at all: reported as failed, with a reason.
UNUSABLE = {
    "feedparser/illformed/aaa_illformed.xml": "is not a well-formed feed (line 6, column 1",
    "feedparser/illformed/rss_empty_document.xml": "is not an RSS or Atom feed",
    "feedparser/illformed/undeclared_namespace.xml": "is not a well-formed feed",
    "icalendar/big_bad_calendar.ics": "is not a valid iCalendar file",
}


@pytest.mark.parametrize("relative", FEEDS + CALENDARS)
def test_every_file_goes_through_the_collector(corpus: CorpusRun, relative: str) -> None:
    line = corpus.line(relative)
    assert "unexpected error" not in (line.message or "")
    if relative in UNUSABLE:
        assert line.status is SourceStatus.FAILED
        assert UNUSABLE[relative] in (line.message or "")
    else:
        assert line.status in (SourceStatus.OK, SourceStatus.WARNING), line
        assert line.new == len(corpus.items(relative))


# -- sanitising ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "summary"),
    [
        ("feedparser/wellformed/sanitize/item_description_script.xml", "safe description"),
        ("feedparser/wellformed/sanitize/item_description_iframe.xml", "safe description"),
        (
            "feedparser/wellformed/sanitize/item_description_onerror.xml",
            '<img src="http://www.ragingplatypus.com/i/cam-full.jpg">',
        ),
        (
            "feedparser/wellformed/sanitize/style_mso_ansi_language_nl.xml",
            "<span>Some text</span>",
        ),
        (
            "feedparser/wellformed/rss/item_description_escaped_markup.xml",
            "<p>Example description</p>",
        ),
        (
            "feedparser/wellformed/rss/item_description_naked_markup.xml",
            "<p>Example description</p>",
        ),
        ("feedparser/wellformed/rss/item_content_encoded.xml", "<p>Example content</p>"),
    ],
)
def test_sanitised_summaries(corpus: CorpusRun, relative: str, summary: str) -> None:
    (item,) = corpus.items(relative)
    assert item.summary_html == summary
    assert corpus.line(relative).status is SourceStatus.OK


def test_an_image_without_text_keeps_its_picture(corpus: CorpusRun) -> None:
    (item,) = corpus.items("feedparser/wellformed/sanitize/item_description_onerror.xml")
    assert item.image_url == "http://www.ragingplatypus.com/i/cam-full.jpg"
    assert item.title == "(zonder titel)"


def test_html_titles_become_text(corpus: CorpusRun) -> None:
    (amp,) = corpus.items("feedparser/wellformed/amp/amp01.xml")
    assert amp.title == "&"
    (xhtml,) = corpus.items("feedparser/wellformed/base/relative_xml_base.xml")
    assert xhtml.title == "Example test"


# -- relative URLs -------------------------------------------------------------------------


def test_relative_links_resolve_against_the_document_url(corpus: CorpusRun) -> None:
    base = corpus.server.base
    (link,) = corpus.items("feedparser/wellformed/base/http_item_link_base_docuri.xml")
    assert link.url == f"{base}/relative/uri"
    anchor = f'<a href="{base}/relative/uri" rel="noopener noreferrer">click here</a>'
    for relative in (
        "feedparser/wellformed/base/http_item_description_base_docuri.xml",
        "feedparser/wellformed/base/http_item_content_encoded_base_docuri.xml",
    ):
        (item,) = corpus.items(relative)
        assert item.summary_html == anchor


def test_relative_content_location_header(corpus: CorpusRun) -> None:
    relative = "feedparser/wellformed/http/headers_content_location-relative.xml"
    http = HttpClient(corpus.ctx.config.collect, corpus.ctx.clock)
    try:
        document = http.get(corpus.url(relative))
    finally:
        http.close()
    assert document.headers["content-location"] == corpus.server.url("/feed/pg.cgi")
    assert parse_feed(document).link == corpus.server.url("/feed/absolute")


def test_reader_relative_feed(corpus: CorpusRun) -> None:
    (item,) = corpus.items("reader/relative.rss")
    base = corpus.server.url("/reader/")
    assert item.url == f"{base}blog/post/1"
    assert item.guid == f"{base}7bd204c6-1655-4c27-aeee-53f933c5395f"
    # The text/html content wins over the excerpt, and its <script> is gone.
    assert item.summary_html == "content"


def test_corrupted_ampersands_are_repaired(corpus: CorpusRun) -> None:
    relative = "feedparser/illformed/rss_item_link_corrupted_ampersands.xml"
    (item,) = corpus.items(relative)
    assert item.url == "http://link/get?a=1&b=2"
    assert corpus.line(relative).status is SourceStatus.WARNING
    assert corpus.line(relative).warnings[0].startswith("feed is not well-formed")


def test_guids_and_links(corpus: CorpusRun) -> None:
    (guid_is_link,) = corpus.items("feedparser/wellformed/rss/item_guid_guidislink.xml")
    assert guid_is_link.url == "http://guid.example.com/"
    # A guid that is no permalink is never used as the link; alone it is no item.
    assert corpus.items("feedparser/wellformed/rss/item_guid_not_permalink.xml") == []
    assert corpus.items("feedparser/wellformed/rss/item_guid_isPermaLink_ValueError.xml") == []


def test_images_from_enclosures_and_media(corpus: CorpusRun) -> None:
    (multiple,) = corpus.items("feedparser/wellformed/rss/item_enclosure_multiple.xml")
    assert multiple.image_url == "http://example.com/1"
    (single,) = corpus.items("feedparser/wellformed/rss/item_enclosure_url.xml")
    assert single.image_url == "http://example.com/"
    (thumb,) = corpus.items("feedparser/wellformed/media-rss/media_thumbnail.xml")
    assert (thumb.title, thumb.image_url) == ("Example Atom", "http://example.com/thumbnail.jpg")


def test_reader_full_feed(corpus: CorpusRun) -> None:
    found = {item.title: item for item in corpus.items("reader/full.rss")}
    assert set(found) == {"Example entry", "Example entry, again"}
    first = found["Example entry"]
    assert first.published == datetime(2009, 9, 6, 16, 20, tzinfo=UTC)
    assert first.summary_html == "Here is some text containing an interesting description."
    assert first.image_url == "http://example.com/enclosure-with-type"
    assert found["Example entry, again"].url == ""
    assert corpus.line("reader/full.rss").warnings == [
        "3 entry(ies) without title, link or content left out (3, 4, 5)"
    ]


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        (
            "feedparser/wellformed/rss/item_pubDate_map_updated_parsed.xml",
            datetime(2004, 1, 1, 19, 48, 21, tzinfo=UTC),
        ),
        (
            "feedparser/wellformed/rss/item_dc_date_parsed.xml",
            datetime(2003, 12, 31, 10, 14, 55, tzinfo=UTC),
        ),
    ],
)
def test_entry_dates_are_utc(corpus: CorpusRun, relative: str, expected: datetime) -> None:
    # These entries carry only a date (no title, link or text): no item, but the date
    # reading the collector uses must still get it right.
    http = HttpClient(corpus.ctx.config.collect, corpus.ctx.clock)
    try:
        parsed = parse_document(http.get(corpus.url(relative)))
    finally:
        http.close()
    assert entry_published(parsed.entries[0]) == expected
    assert corpus.items(relative) == []


def test_validators_come_from_our_own_response(corpus: CorpusRun) -> None:
    from sqlalchemy import select

    from varcomms.store.schema import source_state

    with corpus.ctx.store.connect() as db:
        rows = {row.name: row for row in db.execute(select(source_state)).all()}
    assert rows[name_of("feedparser/wellformed/http/headers_etag.xml")].etag == "foo"
    modified = rows[name_of("feedparser/wellformed/http/headers_last_modified-modified.xml")]
    assert modified.last_modified == "Mon, 03 Apr 2023 01:02:03 GMT"


# -- encodings -----------------------------------------------------------------------------


def test_encodings(corpus: CorpusRun) -> None:
    (smart,) = corpus.items("feedparser/encoding/demoronize-1.xml")
    assert smart.summary_html == "don\u2019t"
    (ellipsis,) = corpus.items("feedparser/encoding/double-encoded-html.xml")
    assert ellipsis.summary_html == "\u2026"
    (noise,) = corpus.items("feedparser/encoding/bozo_linenoise.xml")
    # "<>" in the CDATA is text to an HTML parser (feedparser's own sanitiser dropped it).
    assert noise.summary_html == "\xe2\u20ac\u2122&lt;&gt;\xe2\u20ac\x9d\u0160"
    for relative in (
        "feedparser/encoding/utf-8-bom.xml",
        "feedparser/encoding/no_content_type_default.xml",
        "feedparser/encoding/http_text_xml_charset_overrides_encoding.xml",
    ):
        assert corpus.line(relative).status is SourceStatus.OK, relative
    # text/xml without a charset, UTF-8 by its declaration and decoded right: RFC 3023's
    # "US-ASCII" default is what browsers ignore too, so no false alarm (audit L1).
    quiet = corpus.line("feedparser/encoding/bozo_http_i18n.xml")
    assert (quiet.status, quiet.warnings) == (SourceStatus.OK, [])


# -- calendars -----------------------------------------------------------------------------


def event_of(corpus: CorpusRun, relative: str, title: str | None = None) -> Item:
    found = [i for i in corpus.items(relative) if title is None or i.title == title]
    assert len(found) == 1, [i.title for i in corpus.items(relative)]
    assert found[0].event is not None
    return found[0]


def test_calendar_time_zones(corpus: CorpusRun) -> None:
    floating = event_of(
        corpus, "recurring-ical-events/issue_86_x_wr_timezone_without_time_zone_in_dt.ics"
    )
    assert floating.event and floating.event.start == datetime(2021, 9, 16, 19, 0, tzinfo=UTC)
    vienna = event_of(corpus, "icalendar/timezoned.ics")
    assert vienna.event and vienna.event.start == datetime(2012, 2, 13, 9, 0, tzinfo=UTC)
    assert vienna.event.end == datetime(2012, 2, 17, 17, 0, tzinfo=UTC)
    assert vienna.event.location == "aka bild, wien"
    exchange = event_of(corpus, "icalendar/issue_165_missing_event.ics")
    # Its own VTIMEZONE says +0200 in summer.
    assert exchange.event and exchange.event.start == datetime(2015, 7, 3, 8, 0, tzinfo=UTC)
    missing = event_of(corpus, "icalendar/issue_722_missing_timezones.ics")
    assert missing.event and missing.event.start == datetime(2014, 8, 29, 12, 0, tzinfo=UTC)


def test_calendar_recurrence_and_cancellation(corpus: CorpusRun) -> None:
    weekly = event_of(corpus, "icalendar/x_location.ics")
    assert weekly.event and weekly.event.start == datetime(2016, 10, 28, 12, 0, tzinfo=UTC)
    assert weekly.event.location == "Roadstar 16, 12764 Happyville, Denmark"
    cancelled = corpus.line("recurring-ical-events/issue_18_cancel_status.ics")
    assert cancelled.ignored == {"cancelled events": 1}
    series = event_of(corpus, "recurring-ical-events/issue_18_cancel_status.ics")
    assert series.event and series.event.start == datetime(2020, 1, 28, 21, 0, tzinfo=UTC)


def test_calendar_duplicates_and_all_day(corpus: CorpusRun) -> None:
    same_start = corpus.items("recurring-ical-events/issue_15_duplicated_events.ics")
    assert len({item.id for item in same_start}) == 3
    holidays = corpus.items("recurring-ical-events/Germany_Holidays.ics")
    assert len(holidays) == corpus.line("recurring-ical-events/Germany_Holidays.ics").new
    assert all(item.event and item.event.all_day and item.event.end is None for item in holidays)
    fablab = corpus.items("recurring-ical-events/fablab_cottbus.ics")
    assert fablab and all(item.url.startswith("http") for item in fablab)
    discourse = "recurring-ical-events/discourse_no_dtend.ics"
    no_end = event_of(corpus, discourse, "2019-01-17 openLab")
    assert no_end.event and no_end.event.end is None
    assert no_end.event.start == datetime(2019, 1, 17, 17, 0, 25, tzinfo=UTC)
    assert len(corpus.items(discourse)) == 4
    (commas,) = corpus.items("icalendar/issue_127_categories_with_commas.ics")
    assert commas.title == "Test Event with Categories Containing Commas"
