"""Fetching over real HTTP on loopback: conditional GET, redirects, retries, timeouts."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime

from sqlalchemy import select

from tests.sources.conftest import FeedServer, fixture_bytes, source, with_sources
from varcomms import pool, sources
from varcomms.clock import FakeClock
from varcomms.context import Context
from varcomms.sources import SourceStatus
from varcomms.store.schema import source_state

WORDPRESS = fixture_bytes("wordpress.xml")
MODIFIED = "Mon, 24 Jan 2022 09:12:00 GMT"


def state_of(ctx: Context, name: str):  # type: ignore[no-untyped-def]
    with ctx.store.connect() as db:
        return db.execute(select(source_state).where(source_state.c.name == name)).one()


def test_conditional_get_makes_the_second_run_a_304(
    context: Context, feed_server: FeedServer
) -> None:
    url = feed_server.add("/feed/", body=WORDPRESS, etag='"v1"', last_modified=MODIFIED)
    with_sources(context, source("wp", url=url))
    first = sources.collect(context).source("wp")
    assert (first.status, first.new) == (SourceStatus.OK, 3)
    saved = state_of(context, "wp")
    assert (saved.etag, saved.last_modified, saved.url) == ('"v1"', MODIFIED, url)
    second = sources.collect(context).source("wp")
    assert second.status is SourceStatus.NOT_MODIFIED
    assert (second.new, second.updated, second.unchanged) == (0, 0, 0)
    first_request, second_request = feed_server.requests_for("/feed/")
    assert "if-none-match" not in first_request.headers
    assert second_request.headers["if-none-match"] == '"v1"'
    assert second_request.headers["if-modified-since"] == MODIFIED
    assert second_request.headers["user-agent"].startswith("varcomms/")
    assert len(pool.list_items(context.store, source="wp")) == 3
    # The feed changes: a 200 again, new validators remembered.
    feed_server.routes["/feed/"].etag = '"v2"'
    third = sources.collect(context).source("wp")
    assert (third.status, third.unchanged) == (SourceStatus.OK, 3)
    assert state_of(context, "wp").etag == '"v2"'


def test_validators_belong_to_their_url(context: Context, feed_server: FeedServer) -> None:
    old = feed_server.add("/old.xml", body=WORDPRESS, etag='"same"')
    with_sources(context, source("wp", url=old))
    sources.collect(context)
    new = feed_server.add("/new.xml", body=WORDPRESS, etag='"same"')
    with_sources(context, source("wp", url=new))
    report = sources.collect(context).source("wp")
    assert report.status is SourceStatus.OK
    assert "if-none-match" not in feed_server.requests_for("/new.xml")[0].headers


def test_redirect_is_followed_and_links_resolve_against_the_final_url(
    context: Context, feed_server: FeedServer
) -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>Relatief</title><link>bericht/1</link><guid>r1</guid>
      <description>&lt;img src="beeld.jpg" alt="x"&gt;</description></item></channel></rss>"""
    feed_server.add("/nieuw/feed/", body=feed)
    moved = feed_server.add("/feed", status=301, redirect_to="/nieuw/feed/")
    with_sources(context, source("r", url=moved))
    report = sources.collect(context).source("r")
    assert report.status is SourceStatus.WARNING
    assert report.warnings == [
        f"moved permanently to {feed_server.url('/nieuw/feed/')}; "
        "update the source's url in the config"
    ]
    (item,) = pool.list_items(context.store, source="r")
    assert item.url == feed_server.url("/nieuw/feed/bericht/1")
    assert item.image_url == feed_server.url("/nieuw/feed/beeld.jpg")
    # A temporary redirect is nothing to warn about.
    temporary = feed_server.add("/tijdelijk", status=302, redirect_to="/nieuw/feed/")
    with_sources(context, source("t", url=temporary))
    assert sources.collect(context).source("t").status is SourceStatus.OK


def test_server_errors_are_retried_with_backoff_on_the_clock(
    context: Context, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.add("/feed/", body=WORDPRESS, fail_first=2)
    with_sources(context, source("wp", url=url), retries=2)
    report = sources.collect(context).source("wp")
    assert (report.status, report.new) == (SourceStatus.OK, 3)
    assert clock.slept == [1.0, 2.0]
    assert feed_server.routes["/feed/"].hits == 3


def test_a_server_that_keeps_failing_is_reported(
    context: Context, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.add("/feed/", body=WORDPRESS, fail_first=99)
    with_sources(context, source("wp", url=url), retries=2)
    report = sources.collect(context).source("wp")
    assert report.status is SourceStatus.FAILED
    assert report.message == f"HTTP 503 Service Unavailable from {url}"
    assert report.hint and "retried on the next run" in report.hint
    assert clock.slept == [1.0, 2.0]
    assert state_of(context, "wp").last_status == "failed"


def test_retry_after_is_honoured(
    context: Context, feed_server: FeedServer, clock: FakeClock
) -> None:
    url = feed_server.add("/feed/", body=WORDPRESS, status=429, headers={"Retry-After": "7"})
    with_sources(context, source("wp", url=url), retries=1)
    report = sources.collect(context).source("wp")
    assert report.status is SourceStatus.FAILED and "HTTP 429" in (report.message or "")
    assert clock.slept == [7.0]


def test_a_stalling_server_times_out(context: Context, feed_server: FeedServer) -> None:
    before_headers = feed_server.add("/stil", stall="headers")
    mid_body = feed_server.add("/traag", body=WORDPRESS, stall="body")
    with_sources(
        context,
        source("stil", url=before_headers, timeout_seconds=0.2),
        source("traag", url=mid_body, timeout_seconds=0.2),
    )
    report = sources.collect(context)
    for name in ("stil", "traag"):
        line = report.source(name)
        assert line.status is SourceStatus.FAILED
        assert line.message and line.message.startswith("timed out after 0.2 s")
    # Not retried: a server that stalls once would stall the whole run again.
    assert feed_server.routes["/stil"].hits == 1


def test_html_instead_of_a_feed(context: Context, feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/nieuws/", body=fixture_bytes("page.html"), content_type="text/html; charset=utf-8"
    )
    with_sources(context, source("web", url=url))
    report = sources.collect(context).source("web")
    assert report.status is SourceStatus.FAILED
    assert report.message == f"{url} is an HTML page, not a feed"
    assert report.hint == f"the page names its feed: {feed_server.url('/feed/')}"


def test_not_found_and_refused_connections(
    context: Context, feed_server: FeedServer, clock: FakeClock
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with_sources(
        context,
        source("weg", url=feed_server.url("/bestaat-niet.xml")),
        source("dicht", url=f"http://127.0.0.1:{closed_port}/feed/"),
        retries=1,
    )
    report = sources.collect(context)
    assert report.source("weg").message == (
        f"HTTP 404 Not Found from {feed_server.url('/bestaat-niet.xml')}"
    )
    assert report.source("dicht").message == "cannot connect to " + (
        f"127.0.0.1:{closed_port}: connection refused"
    )
    assert clock.slept == [1.0]


def test_one_broken_source_never_stops_the_others(
    context: Context, feed_server: FeedServer
) -> None:
    with_sources(
        context,
        source("goed", url=feed_server.add("/goed", body=WORDPRESS)),
        source("fout", url=feed_server.add("/fout", status=500)),
        source(
            "html",
            url=feed_server.add("/html", body=b"<html><p>x</p></html>", content_type="text/html"),
        ),
        source("leeg", url=feed_server.add("/leeg", body=b"")),
        source("kapot", url=feed_server.add("/kapot", body=b'<rss version="2.0"><channel></chan')),
        retries=0,
    )
    report = sources.collect(context)
    assert [s.name for s in report.sources] == ["goed", "fout", "html", "leeg", "kapot"]
    assert report.source("goed").new == 3
    assert {s.name for s in report.failed} == {"fout", "html", "leeg", "kapot"}
    assert not report.ok
    assert report.source("leeg").message == f"{feed_server.url('/leeg')} is empty, not a feed"
    assert report.source("kapot").message == (
        f"{feed_server.url('/kapot')} is not a well-formed feed (line 1, column 29: unclosed token)"
    )


def test_a_bozo_feed_with_entries_keeps_them_with_a_warning(
    context: Context, feed_server: FeedServer
) -> None:
    truncated = WORDPRESS[: WORDPRESS.index(b"<item>", WORDPRESS.index(b"<item>") + 1)]
    with_sources(context, source("half", url=feed_server.add("/half", body=truncated)))
    report = sources.collect(context).source("half")
    assert report.status is SourceStatus.WARNING
    assert report.new == 1
    assert report.warnings[0].startswith("feed is not well-formed")


def test_since_leaves_out_older_news_and_keeps_old_validators(
    context: Context, feed_server: FeedServer
) -> None:
    url = feed_server.add("/feed/", body=WORDPRESS, etag='"v1"')
    with_sources(context, source("wp", url=url))
    report = sources.collect(context, since=date(2022, 1, 20)).source("wp")
    assert report.new == 2
    assert report.ignored == {"published before --since": 1}
    assert state_of(context, "wp").etag is None
    # A full run afterwards fetches everything again instead of getting a 304.
    full = sources.collect(context).source("wp")
    assert (full.status, full.new, full.unchanged) == (SourceStatus.OK, 1, 2)
    assert pool.list_items(context.store, since=datetime(2022, 1, 20, tzinfo=UTC))


def test_per_host_limit_is_respected(context: Context, feed_server: FeedServer) -> None:
    import threading

    lock = threading.Condition()
    active = {"now": 0, "most": 0}
    original = feed_server.httpd.RequestHandlerClass.do_GET

    def counting(handler):  # type: ignore[no-untyped-def]
        with lock:
            active["now"] += 1
            active["most"] = max(active["most"], active["now"])
            lock.notify_all()
            # Hold the request until a third one arrives (a broken limit) or briefly.
            lock.wait_for(lambda: active["now"] > 2, timeout=0.1)
        try:
            original(handler)
        finally:
            with lock:
                active["now"] -= 1

    feed_server.httpd.RequestHandlerClass.do_GET = counting  # type: ignore[method-assign]
    configured = [
        source(f"f{n}", url=feed_server.add(f"/{n}.xml", body=WORDPRESS)) for n in range(5)
    ]
    with_sources(context, *configured, concurrency=5, per_host=2)
    report = sources.collect(context)
    assert report.ok and report.new == 15
    assert active["most"] == 2


def test_calendar_over_http_with_conditional_get(context: Context, feed_server: FeedServer) -> None:
    from tests.sources.conftest import fixture_bytes as read

    url = feed_server.add(
        "/agenda.ics", body=read("agenda.ics"), content_type="text/calendar", etag='"a1"'
    )
    page = feed_server.add("/agenda/", body=read("page.html"), content_type="text/html")
    with_sources(
        context, source("agenda", kind="ical", url=url), source("pagina", kind="ical", url=page)
    )
    first = sources.collect(context)
    assert first.source("agenda").new == 5
    assert first.source("pagina").message == f"{page} is an HTML page, not an iCalendar file"
    second = sources.collect(context).source("agenda")
    assert second.status is SourceStatus.NOT_MODIFIED
