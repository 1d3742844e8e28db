"""The collector as a whole: selection, de-duplication, editors' decisions, progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sources.conftest import FIXTURES, FeedServer, fixture_bytes, source, with_sources
from varcomms import pool, sources
from varcomms.context import Context
from varcomms.errors import ConfigError, NotFoundError, StateError
from varcomms.models import ItemStatus
from varcomms.sources import SourceReport, SourceStatus

DUPLICATE_GUIDS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Eerste versie</title><link>https://x.example/1</link><guid>same</guid></item>
<item><title>Tweede keer</title><link>https://x.example/1b</link><guid>same</guid></item>
<item><title>Zonder guid</title><link>https://x.example/2</link></item>
<item><title>Zonder guid, zelfde link</title><link>https://x.example/2</link></item>
</channel></rss>"""


def test_the_same_story_twice_in_one_feed_is_one_item(context: Context, tmp_path: Path) -> None:
    feed = tmp_path / "dubbel.xml"
    feed.write_bytes(DUPLICATE_GUIDS)
    with_sources(context, source("dubbel", path=feed))
    report = sources.collect(context).source("dubbel")
    assert (report.new, report.status) == (2, SourceStatus.WARNING)
    assert report.warnings == ["2 duplicate entries (same guid) left out"]
    titles = sorted(i.title for i in pool.list_items(context.store, source="dubbel"))
    assert titles == ["Eerste versie", "Zonder guid"]


def test_updates_are_counted_and_skips_and_retags_stick(context: Context, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(fixture_bytes("wordpress.xml"))
    with_sources(context, source("wp", path=feed))
    sources.collect(context)
    found = {i.title: i for i in pool.list_items(context.store, source="wp")}
    skipped = found["Zonder guid, met thumbnail"]
    retagged = found["Leerhuis over ransomware & phishing"]
    pool.skip_item(context.store, skipped.id[:8])
    pool.retag_item(
        context.store, retagged.id, known=context.config.theme_labels, exactly=["ondermijning"]
    )
    # The site edits both stories.
    feed.write_bytes(
        fixture_bytes("wordpress.xml")
        .replace(b"Alleen een uittreksel", b"Een bijgewerkt uittreksel")
        .replace(b"De <strong>volledige</strong> tekst.", b"Bijgewerkte tekst.")
    )
    report = sources.collect(context).source("wp")
    assert (report.new, report.updated, report.unchanged) == (0, 2, 1)
    after_skip = pool.get_item(context.store, skipped.id)
    assert after_skip.status is ItemStatus.SKIPPED
    assert "bijgewerkt" in after_skip.summary_html
    after_tag = pool.get_item(context.store, retagged.id)
    assert after_tag.themes == ("ondermijning",)
    assert "Bijgewerkte tekst" in after_tag.summary_html
    again = sources.collect(context).source("wp")
    assert (again.updated, again.unchanged) == (0, 3)


def test_skip_rules(context: Context, tmp_path: Path) -> None:
    with_sources(context, source("wp", path=FIXTURES / "wordpress.xml"))
    sources.collect(context)
    item = pool.list_items(context.store, source="wp")[0]
    with pytest.raises(StateError, match="is not skipped"):
        pool.skip_item(context.store, item.id, undo=True)
    pool.set_status(context.store, [item.id], ItemStatus.USED, used_in="2022-01")
    with pytest.raises(StateError, match="already used in edition 2022-01"):
        pool.skip_item(context.store, item.id)
    with pytest.raises(NotFoundError, match="unknown theme 'geen-thema'"):
        pool.retag_item(
            context.store, item.id, known=context.config.theme_labels, add=["geen-thema"]
        )


def test_selection_progress_and_order(context: Context, feed_server: FeedServer) -> None:
    body = fixture_bytes("wordpress.xml")
    configured = [
        source(f"feed-{n}", url=feed_server.add(f"/{n}.xml", body=body)) for n in range(6)
    ]
    configured.append(source("uit", path=FIXTURES / "wordpress.xml", enabled=False))
    with_sources(context, *configured, concurrency=3, per_host=2)

    class Recorder:
        def __init__(self) -> None:
            self.total = 0
            self.done: list[str] = []

        def start(self, total: int) -> None:
            self.total = total

        def advance(self, report: SourceReport) -> None:
            self.done.append(report.name)

    recorder = Recorder()
    report = sources.collect(context, progress=recorder)
    assert recorder.total == 6 and sorted(recorder.done) == [f"feed-{n}" for n in range(6)]
    # The report keeps the configuration's order, whatever order the fetches finished in.
    assert [line.name for line in report.sources] == [f"feed-{n}" for n in range(6)]
    assert report.new == 18 and report.ok
    # A disabled source runs when asked for by name; an unknown name is an error.
    only = sources.collect(context, only="uit")
    assert [line.name for line in only.sources] == ["uit"]
    with pytest.raises(ConfigError, match="no source named 'onbekend'"):
        sources.collect(context, only=["onbekend"])


def test_missing_local_file_is_a_failed_source(context: Context, tmp_path: Path) -> None:
    with_sources(
        context,
        source("weg", path=tmp_path / "bestaat-niet.xml"),
        source("wp", path=FIXTURES / "wordpress.xml"),
        source("agenda-als-feed", path=FIXTURES / "agenda.ics"),
    )
    report = sources.collect(context)
    assert report.source("weg").message == f"{tmp_path / 'bestaat-niet.xml'}: file not found"
    assert report.source("wp").new == 3
    assert report.source("agenda-als-feed").status is SourceStatus.FAILED
