"""The archive's Atom feed (feedgen), so partners can follow new editions in a reader."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from varcomms.archive.sent import SentEdition
from varcomms.config import Config

FEED_TITLE = "Nieuwsbrief VeiligheidsAlliantie regio Rotterdam en RIEC Rotterdam"
# Fixed, so an empty archive's feed does not change on every build.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def atom_feed(config: Config, entries: Sequence[SentEdition], *, name: str = "feed.atom") -> str:
    base = config.urls.web_base.rstrip("/")
    feed = FeedGenerator()
    feed.id(f"{base}/")
    feed.title(FEED_TITLE)
    feed.subtitle("De verzonden edities van de nieuwsbrief, nieuwste eerst.")
    feed.language("nl")
    feed.author({"name": config.sender.from_name})
    feed.link(href=f"{base}/", rel="alternate")
    feed.link(href=f"{base}/{name}", rel="self")
    feed.generator("varcomms")
    # Oldest first: feedgen puts the last added entry on top.
    for entry in sorted(entries, key=lambda e: (e.sent_at, e.id)):
        item = feed.add_entry()
        url = f"{base}/{entry.id}/"
        item.id(url)
        item.title(entry.edition.title)
        item.link(href=url, rel="alternate")
        item.summary(entry.edition.preheader or entry.edition.subject)
        item.published(entry.sent_at)
        item.updated(entry.sent_at)
    feed.updated(max((entry.sent_at for entry in entries), default=_EPOCH))
    return feed.atom_str(pretty=True).decode("utf-8")
