"""The steps every feed-based kind shares: read, parse, filter, make items.

News, campaign and event feeds differ only in which entries they keep and what kind of
item an entry becomes; they override :meth:`FeedSource.keep` and :meth:`FeedSource.item`.
"""

from __future__ import annotations

from typing import ClassVar

from varcomms.config import SourceConfig
from varcomms.models import EventInfo, Item, ItemKind
from varcomms.sources.base import FetchResult, SourceEnv, ignore_reason, read_document
from varcomms.sources.feeds import Entry, ParsedFeed, parse_feed, printable
from varcomms.sources.http import Validators


class FeedSource:
    kind: ClassVar[str]
    item_kind: ClassVar[ItemKind] = ItemKind.NEWS

    def __init__(self, config: SourceConfig, env: SourceEnv, validators: Validators) -> None:
        self.config = config
        self.env = env
        self.validators = validators
        # Problems a kind meets while making items (an unreadable event date, …).
        self.problems: list[str] = []

    def fetch(self) -> FetchResult:
        document = read_document(self.config, self.env, self.validators)
        batch = FetchResult(warnings=list(document.notes), validators=document.validators)
        if document.not_modified:
            batch.not_modified = True
            return batch
        feed = parse_feed(document, zone=self.env.config.tz)
        batch.warnings.extend(feed.warnings)
        broken: list[str] = []
        for entry in feed.entries:
            try:
                reason = self.ignore_reason(entry, feed)
                if reason is None:
                    item = self.item(entry, feed)
                    reason = ignore_reason(item, self.env)
                    if reason is None:
                        batch.items.append(item)
                        continue
            except Exception as err:  # one bad entry never takes the feed down with it
                broken.append(f"{entry.title!r}: {type(err).__name__}: {printable(str(err))}")
                continue
            batch.ignored[reason] += 1
        if broken:
            batch.warnings.append(f"{len(broken)} entry(ies) left out (first: {broken[0]})")
        if self.problems:
            batch.warnings.append(
                f"{len(self.problems)} unreadable date(s) left out (first: {self.problems[0]})"
            )
        return batch

    def ignore_reason(self, entry: Entry, feed: ParsedFeed) -> str | None:
        """Why an entry is left out, or None to keep it (campaign filters override)."""
        return None

    def item(self, entry: Entry, feed: ParsedFeed) -> Item:
        return make_item(self.config, self.env, entry, self.item_kind)


def make_item(
    config: SourceConfig,
    env: SourceEnv,
    entry: Entry,
    kind: ItemKind,
    *,
    event: EventInfo | None = None,
    extra_categories: tuple[str, ...] = (),
) -> Item:
    themes = env.tagger.themes_for(
        config, text=entry.text, categories=entry.categories + extra_categories
    )
    return Item(
        id=Item.make_id(config.name, entry.key),
        source=config.name,
        kind=kind,
        title=entry.title,
        url=entry.url,
        summary_html=entry.summary_html,
        published=None if event is not None else entry.published,
        image_url=entry.image_url,
        image_alt=entry.image_alt,
        themes=themes,
        guid=entry.guid,
        brand=config.brand,
        event=event,
    )
