"""Hostile and broken servers (audit 2026-12: H4, M8, M10, L1, L2, L3), on real loopback HTTP.

Each case runs next to a good source: whatever one server does, collect ends, and the
good source lands and is reported.
"""

from __future__ import annotations

import gzip
import time

import pytest

from tests.sources.conftest import FeedServer, fixture_bytes, source, with_sources
from varcomms import pool, sources
from varcomms.clock import FakeClock
from varcomms.context import Context
from varcomms.sources import CollectReport, SourceStatus

WORDPRESS = fixture_bytes("wordpress.xml")
# Generous: the cases below end in about a second; a hang would take minutes.
BOUND_SECONDS = 15.0


def collect_with_good_neighbour(
    context: Context, feed_server: FeedServer, *bad: object, **settings: object
) -> CollectReport:
    good = feed_server.add("/goed/feed/", body=WORDPRESS)
    with_sources(context, source("goed", url=good), *bad, **settings)  # type: ignore[arg-type]
    started = time.monotonic()
    report = sources.collect(context)
    assert time.monotonic() - started < BOUND_SECONDS
    line = report.source("goed")
    assert (line.status, line.new) == (SourceStatus.OK, 3)
    return report


def test_a_trickling_server_is_cut_off_by_the_download_deadline(
    context: Context, feed_server: FeedServer
) -> None:
    # Audit H4: one byte every 50 ms never trips the read timeout (0.3 s) and never fills
    # a 64 KiB chunk; only a deadline on the whole download ends it.
    url = feed_server.add("/druppel/", body=WORDPRESS, trickle=0.05)
    report = collect_with_good_neighbour(
        context,
        feed_server,
        source("druppel", url=url, timeout_seconds=0.3),
        download_timeout=0.5,
    )
    line = report.source("druppel")
    assert line.status is SourceStatus.FAILED
    assert line.message and line.message.startswith(f"{url} took longer than 0.5 s to download")
    assert line.hint and "collect.download_timeout" in line.hint
    assert not report.ok


@pytest.mark.parametrize(
    "retry_after",
    ["3600", "Wed, 21 Oct 2099 07:28:00 GMT"],
    ids=["seconds", "http-date"],
)
def test_a_long_retry_after_defers_the_source_without_waiting(
    context: Context, feed_server: FeedServer, clock: FakeClock, retry_after: str
) -> None:
    # Audit M10: a 503 asking for an hour held the run for two minutes.
    url = feed_server.add("/druk/", status=503, headers={"Retry-After": retry_after})
    report = collect_with_good_neighbour(
        context, feed_server, source("druk", url=url), retry_after_max=10
    )
    line = report.source("druk")
    assert line.status is SourceStatus.DEFERRED
    assert line.message and "retry after" in line.message and "retry_after_max" in line.message
    assert line.hint == "it is fetched again on the next run"
    assert clock.slept == []
    assert feed_server.routes["/druk/"].hits == 1
    # Deferred is not failed: a scheduled run does not raise an alarm for it.
    assert report.ok and report.to_dict()["deferred"] == 1


def test_a_retry_after_within_the_cap_is_waited_for(
    context: Context, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.add("/even/", body=WORDPRESS, fail_first=1, headers={"Retry-After": "4"})
    collect_with_good_neighbour(context, feed_server, source("even", url=url), retry_after_max=5)
    assert clock.slept == [4.0]
    assert pool.list_items(context.store, source="even")


def test_a_broken_gzip_body_is_named_as_such(context: Context, feed_server: FeedServer) -> None:
    # Audit L2: reported as "timed out after 20 s" although it failed in milliseconds.
    url = feed_server.add("/gzip/", body=WORDPRESS, headers={"Content-Encoding": "gzip"})
    report = collect_with_good_neighbour(context, feed_server, source("gzip", url=url))
    line = report.source("gzip")
    assert line.status is SourceStatus.FAILED
    assert line.message == f"{url} sent a broken gzip body (Content-Encoding: gzip)"


def test_a_good_gzip_body_still_lands(context: Context, feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/gz/", body=gzip.compress(WORDPRESS), headers={"Content-Encoding": "gzip"}
    )
    report = collect_with_good_neighbour(context, feed_server, source("gz", url=url))
    assert report.source("gz").new == 3


def test_a_truncated_body_is_named_as_such(context: Context, feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/kort/",
        raw=b"Content-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n<rss version",
    )
    report = collect_with_good_neighbour(context, feed_server, source("kort", url=url))
    line = report.source("kort")
    assert line.status is SourceStatus.FAILED
    assert line.message and "closed before the whole body arrived (12 bytes of 5000)" in (
        line.message
    )
    assert "timed out" not in line.message


def test_a_redirect_without_location_is_not_parsed_as_the_feed(
    context: Context, feed_server: FeedServer
) -> None:
    # Audit L3: the reason read "not an RSS or Atom feed (line 1, column 1 …)".
    url = feed_server.add("/weg/", status=302, body=b"")
    report = collect_with_good_neighbour(context, feed_server, source("weg", url=url))
    line = report.source("weg")
    assert line.status is SourceStatus.FAILED
    assert line.message == f"HTTP 302 Found from {url} without a Location"


DUTCH_FEED = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>Veiligheid</title><link>https://example.nl/</link>
<item><title>Café in België: één zaak gesloten</title><guid isPermaLink="false">c1</guid>
<description>Ondermijning in de horeca</description></item></channel></rss>"""


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1", "windows-1252"])
def test_text_xml_without_charset_follows_the_declaration_quietly(
    context: Context, feed_server: FeedServer, encoding: str
) -> None:
    # Audit L1: every correctly decoded text/xml feed without a charset was flagged.
    body = DUTCH_FEED.format(encoding=encoding).encode(encoding)
    url = feed_server.add("/xml/", body=body, content_type="text/xml")
    report = collect_with_good_neighbour(context, feed_server, source("xml", url=url))
    line = report.source("xml")
    assert (line.status, line.warnings) == (SourceStatus.OK, [])
    (item,) = pool.list_items(context.store, source="xml")
    assert item.title == "Café in België: één zaak gesloten"


def test_a_charset_that_is_really_wrong_is_still_reported(
    context: Context, feed_server: FeedServer
) -> None:
    body = DUTCH_FEED.format(encoding="utf-8").encode("utf-8")
    url = feed_server.add("/fout/", body=body, content_type="text/xml; charset=us-ascii")
    report = collect_with_good_neighbour(context, feed_server, source("fout", url=url))
    assert report.source("fout").warnings == [
        "the feed declares the wrong character encoding; check its text for garbled letters"
    ]


def test_a_feed_moving_host_keeps_its_items(context: Context, feed_server: FeedServer) -> None:
    # Audit M8: <guid>1001</guid> (a permalink by default) was resolved against the feed's
    # URL, so after a 301 to another host every item came in again.
    items = "".join(
        f"<item><title>Bericht {n}</title><guid>{1000 + n}</guid></item>" for n in range(1, 11)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
    feed_server.add("/idem/feed.xml", body=(body + "</channel></rss>").encode())
    port = feed_server.httpd.server_address[1]
    with_sources(context, source("idem", url=f"http://localhost:{port}/idem/feed.xml"))
    assert sources.collect(context).source("idem").new == 10
    # The site moves to another host name (and path), with a permanent redirect.
    feed_server.add("/nieuw/feed.xml", body=(body + "</channel></rss>").encode())
    feed_server.add("/idem/feed.xml", status=301, redirect_to=feed_server.url("/nieuw/feed.xml"))
    moved = sources.collect(context).source("idem")
    assert (moved.new, moved.updated) == (0, 10)  # same items; their links moved along
    found = pool.list_items(context.store, source="idem")
    assert len(found) == 10
    assert {item.guid for item in found} == {str(1000 + n) for n in range(1, 11)}
    assert all(item.url.startswith(feed_server.url("/nieuw/")) for item in found)


def _chunked(data: bytes, size: int = 700) -> bytes:
    parts = [f"{len(data[i : i + size]):x}\r\n".encode() + data[i : i + size] + b"\r\n"
             for i in range(0, len(data), size)]  # fmt: skip
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(WORDPRESS),
        b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        + _chunked(gzip.compress(WORDPRESS)),
        b"Connection: close\r\n\r\n" + WORDPRESS,  # no length: the body ends with the connection
    ],
    ids=["chunked", "chunked-gzip", "until-close"],
)
def test_bodies_in_every_framing_are_read_whole(
    context: Context, feed_server: FeedServer, raw: bytes
) -> None:
    # The body is read a socket read at a time (for the download deadline): every way
    # HTTP/1.1 frames a body must still come through whole.
    url = feed_server.add("/kader/", raw=b"Content-Type: application/rss+xml\r\n" + raw)
    report = collect_with_good_neighbour(context, feed_server, source("kader", url=url))
    assert (report.source("kader").status, report.source("kader").new) == (SourceStatus.OK, 3)
