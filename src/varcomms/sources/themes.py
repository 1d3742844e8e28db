"""Theme slugs for collected items, from the rules in config.

An item gets a theme when one of its feed categories is named in a rule (or is the
theme's own slug or label), when a rule's keyword occurs in its title or summary, or
because its source has default themes. Keywords match at the start of a word and
case-insensitively, so "babbeltruc" also finds "babbeltrucs" but "avg" not "havgoed".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from varcomms.config import Config, SourceConfig


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One regex finding any keyword at a word start; spaces match any whitespace."""
    parts = [r"\s+".join(map(re.escape, k.split())) for k in keywords if k.strip()]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")", re.IGNORECASE)


def normalise_category(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class _Rule:
    theme: str
    categories: frozenset[str]
    keywords: re.Pattern[str] | None


class ThemeTagger:
    """Built once per collect run from the configuration."""

    def __init__(self, config: Config) -> None:
        self.known = frozenset(theme.slug for theme in config.themes)
        # A category that is a theme's slug or label needs no rule of its own.
        by_name: dict[str, str] = {}
        for theme in config.themes:
            by_name[normalise_category(theme.slug)] = theme.slug
            by_name[normalise_category(theme.label)] = theme.slug
        self._by_name = by_name
        self._rules = tuple(
            _Rule(
                theme=rule.theme,
                categories=frozenset(normalise_category(c) for c in rule.categories),
                keywords=keyword_pattern(rule.keywords),
            )
            for rule in config.collect.theme_rules
        )

    def themes_for(
        self,
        source: SourceConfig,
        *,
        text: str,
        categories: Iterable[str] = (),
        explicit: Iterable[str] = (),
    ) -> tuple[str, ...]:
        """Sorted theme slugs for an item with this text (title + summary) and categories."""
        found = set(source.themes)
        found.update(theme for theme in explicit if theme in self.known)
        wanted = {normalise_category(c) for c in categories if c and c.strip()}
        found.update(self._by_name[c] for c in wanted if c in self._by_name)
        for rule in self._rules:
            if rule.categories & wanted or (rule.keywords and rule.keywords.search(text)):
                found.add(rule.theme)
        return tuple(sorted(found))
