"""One entry, one item: text stays text, one bad entry stays alone (audit 2026-12: M7,
"one bad entry"; code review C3, C4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import InvalidRequestError, OperationalError

from tests.sources.conftest import source, with_sources
from varcomms import pool, sources
from varcomms.context import Context
from varcomms.models import Item, ItemKind
from varcomms.sources import SourceStatus
from varcomms.sources.base import REGISTRY, register
from varcomms.sources.collector import storage_failure
from varcomms.sources.feeds import Entry, ParsedFeed
from varcomms.sources.feedsource import FeedSource

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><id>urn:t</id><updated>2022-01-10T10:00:00Z</updated>
<entry><id>urn:t:1</id><title>Tekst</title><updated>2022-01-10T10:00:00Z</updated>
  <content type="text">Regel: 3 &lt; 5 &amp; &lt;b&gt;vet&lt;/b&gt; is gewoon tekst</content>
</entry>
<entry><id>urn:t:2</id><title>Script</title><updated>2022-01-10T10:00:00Z</updated>
  <summary type="text">&lt;script&gt;alert(1)&lt;/script&gt;
Uitleg over de &lt;script&gt;-tag</summary></entry>
<entry><id>urn:t:3</id><title>Html</title><updated>2022-01-10T10:00:00Z</updated>
  <content type="html">&lt;p&gt;Echt &lt;b&gt;vet&lt;/b&gt;&lt;/p&gt;</content></entry>
</feed>"""


def test_atom_text_is_escaped_not_parsed(context: Context, tmp_path: Path) -> None:
    feed = tmp_path / "atom.xml"
    feed.write_text(ATOM, encoding="utf-8")
    with_sources(context, source("atom", path=feed))
    assert sources.collect(context).source("atom").new == 3
    found = {i.title: i.summary_html for i in pool.list_items(context.store, source="atom")}
    assert found["Tekst"] == "<p>Regel: 3 &lt; 5 &amp; &lt;b&gt;vet&lt;/b&gt; is gewoon tekst</p>"
    assert found["Script"] == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>Uitleg over de &lt;script&gt;-tag</p>"
    )
    assert found["Html"] == "<p>Echt <b>vet</b></p>"  # html stays html


class _Fragile(FeedSource):
    """A kind that cannot make an item of one entry: a stand-in for any library surprise."""

    def item(self, entry: Entry, feed: ParsedFeed) -> Item:
        if entry.title == "Bericht 2":
            raise ValueError("cannot make this one")
        return super().item(entry, feed)


@pytest.fixture
def fragile_kind():  # type: ignore[no-untyped-def]
    register("fragile")(_Fragile)
    yield "fragile"
    del REGISTRY["fragile"]


def test_one_bad_entry_never_takes_the_feed_down(
    context: Context, tmp_path: Path, fragile_kind: str
) -> None:
    items = "".join(
        f"<item><title>Bericht {n}</title><guid isPermaLink='false'>g{n}</guid></item>"
        for n in range(1, 4)
    )
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>')
    config = source("broos", path=feed).model_copy(update={"kind": fragile_kind})
    with_sources(context, config)
    line = sources.collect(context).source("broos")
    assert (line.status, line.new) == (SourceStatus.WARNING, 2)
    assert line.warnings == [
        "1 entry(ies) left out (first: 'Bericht 2': ValueError: cannot make this one)"
    ]


def test_a_date_only_manual_event_is_all_day(context: Context, tmp_path: Path) -> None:
    # Code review C3: the field "date" shadowed the type, so "start: 2022-03-01" was read
    # as a datetime and the event was never all-day.
    folder = tmp_path / "handmatig"
    folder.mkdir()
    (folder / "dag.md").write_text(
        "---\ntitle: Hele dag\nkind: event\nstart: 2022-03-01\nend: 2022-03-02\n---\nTekst\n"
    )
    (folder / "tijd.md").write_text(
        "---\ntitle: Met tijd\nkind: event\nstart: 2022-03-01T10:00:00\n---\nTekst\n"
    )
    (folder / "nieuws.md").write_text("---\ntitle: Nieuws\ndate: 2022-01-31\n---\nTekst\n")
    with_sources(context, source("handmatig", kind="manual", path=folder))
    assert sources.collect(context).source("handmatig").new == 3
    found = {i.title: i for i in pool.list_items(context.store, source="handmatig")}
    day = found["Hele dag"].event
    assert day is not None and day.all_day
    assert day.start == datetime(2022, 2, 28, 23, tzinfo=UTC)
    timed = found["Met tijd"].event
    assert timed is not None and not timed.all_day
    assert timed.start == datetime(2022, 3, 1, 9, tzinfo=UTC)
    assert found["Nieuws"].published == datetime(2022, 1, 30, 23, tzinfo=UTC)
    assert found["Nieuws"].kind is ItemKind.MANUAL


def test_a_storage_error_without_a_driver_cause_is_reported() -> None:
    # Code review C4: err.orig raised AttributeError inside the handler for errors that
    # are not DBAPI errors, taking the whole collect down.
    assert storage_failure(InvalidRequestError("this transaction is inactive")) == (
        "storing its items failed: this transaction is inactive"
    )
    driver = OperationalError("INSERT …", {}, Exception("database is locked"))
    assert storage_failure(driver) == "storing its items failed: database is locked"


class _Unstorable(FeedSource):
    """A kind whose items the pool cannot store (a value JSON cannot hold)."""

    def item(self, entry: Entry, feed: ParsedFeed) -> Item:
        made = super().item(entry, feed)
        return replace(made, themes=(object(),))  # type: ignore[arg-type]


def test_a_surprise_while_storing_fails_only_that_source(context: Context, tmp_path: Path) -> None:
    register("unstorable")(_Unstorable)
    try:
        feed = tmp_path / "feed.xml"
        feed.write_text(
            '<rss version="2.0"><channel><title>t</title><item><title>Een</title>'
            "<guid isPermaLink='false'>g1</guid></item></channel></rss>"
        )
        good = tmp_path / "good.xml"
        good.write_text(feed.read_text())
        bad = source("stuk", path=feed).model_copy(update={"kind": "unstorable"})
        with_sources(context, bad, source("goed", path=good))
        report = sources.collect(context)
    finally:
        del REGISTRY["unstorable"]
    line = report.source("stuk")
    assert line.status is SourceStatus.FAILED
    assert line.message and line.message.startswith("storing its items failed: TypeError")
    assert (report.source("goed").status, report.source("goed").new) == (SourceStatus.OK, 1)
