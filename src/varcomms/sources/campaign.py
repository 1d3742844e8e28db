"""``kind = "campaign"``: police campaigns, which have no feed of their own.

Campaigns ("babbeltrucs", nepagenten, vriend-in-nood fraude) appear as ordinary police
news items, so a campaign source is a news feed filtered by the source's ``keywords``
and ``region``. The region counts as mentioned when the item's title, summary or
categories name it, or when the feed itself is that region's feed (its title names it,
as with "Nieuws eenheid Rotterdam"). A campaign source whose ``path`` is a folder reads
campaigns entered by hand: Markdown files, as for the ``manual`` kind.
"""

from __future__ import annotations

from varcomms.config import SourceConfig
from varcomms.models import ItemKind
from varcomms.sources.base import FetchResult, SourceEnv, local_path, register
from varcomms.sources.feeds import Entry, ParsedFeed
from varcomms.sources.feedsource import FeedSource
from varcomms.sources.http import Validators
from varcomms.sources.manual import MarkdownFolder
from varcomms.sources.themes import keyword_pattern


@register("campaign")
class CampaignSource:
    def __init__(self, config: SourceConfig, env: SourceEnv, validators: Validators) -> None:
        self.config = config
        path = local_path(config, env.config)
        if path is not None and path.is_dir():
            self._inner: FeedSource | MarkdownFolder = MarkdownFolder(
                config, env, validators, default_kind=ItemKind.CAMPAIGN
            )
        else:
            self._inner = CampaignFeed(config, env, validators)

    def fetch(self) -> FetchResult:
        return self._inner.fetch()


class CampaignFeed(FeedSource):
    item_kind = ItemKind.CAMPAIGN

    def __init__(self, config: SourceConfig, env: SourceEnv, validators: Validators) -> None:
        super().__init__(config, env, validators)
        self._keywords = keyword_pattern(config.keywords)
        self._region = keyword_pattern([config.region]) if config.region else None

    def ignore_reason(self, entry: Entry, feed: ParsedFeed) -> str | None:
        haystack = "\n".join((entry.text, *entry.categories))
        if self._keywords is not None and not self._keywords.search(haystack):
            return "not matching the campaign keywords"
        if self._region is not None and not (
            self._region.search(haystack) or self._region.search(feed.title)
        ):
            return f"not about region {self.config.region}"
        return None
