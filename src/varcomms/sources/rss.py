"""``kind = "rss"``: a news feed (RSS 0.9x/1.0/2.0 or Atom), e.g. the VAR and RIEC news."""

from __future__ import annotations

from varcomms.models import ItemKind
from varcomms.sources.base import register
from varcomms.sources.feedsource import FeedSource


@register("rss")
class NewsFeed(FeedSource):
    item_kind = ItemKind.NEWS
