"""Variants: the distinct sets of themed sections one edition is sent in.

A section with a ``theme`` goes only to subscribers who chose that theme, so the
recipients of one edition fall into a few groups that each get the same email. Each
group is rendered once; personal fields are filled in later, per recipient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from varcomms.errors import NotFoundError
from varcomms.models import Edition, EditionSection

GENERAL_KEY = "algemeen"
MAX_KEY_CHARS = 200


@dataclass(frozen=True, slots=True)
class Variant:
    """One version of an edition: the general sections plus ``sections`` (themed slugs).

    ``key`` names the variant in file names and in the send ledger: "algemeen" when
    no themed section applies, otherwise the themed section slugs joined by "+".
    """

    key: str
    sections: frozenset[str] = frozenset()
    themes: frozenset[str] = frozenset()

    @classmethod
    def of_sections(cls, sections: Iterable[EditionSection]) -> Variant:
        chosen = [section for section in sections if section.theme]
        slugs = frozenset(section.slug for section in chosen)
        themes = frozenset(section.theme for section in chosen if section.theme)
        return cls(key=variant_key(slugs), sections=slugs, themes=themes)

    def includes(self, section: EditionSection) -> bool:
        """Whether a reader of this variant sees ``section``."""
        return section.theme is None or section.slug in self.sections


def variant_key(slugs: Iterable[str]) -> str:
    """A stable, readable key of at most 200 characters for a set of section slugs."""
    ordered = sorted(set(slugs))
    if not ordered:
        return GENERAL_KEY
    key = "+".join(ordered)
    if len(key) <= MAX_KEY_CHARS:
        return key
    # Too many themed sections to list: keep a readable start and make it unique.
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY_CHARS - len(digest) - 1]}~{digest}"


def variant_for(edition: Edition, themes: Iterable[str]) -> Variant:
    """The variant a reader with these theme interests receives."""
    wanted = set(themes)
    return Variant.of_sections(
        section for section in edition.themed_sections if section.theme in wanted
    )


def variants_of(
    edition: Edition, *, theme_choices: Iterable[Iterable[str]] | None = None
) -> tuple[Variant, ...]:
    """Every variant of ``edition``, the general one first.

    Without ``theme_choices`` this is every combination of the edition's themes (a
    reader may follow any of them). With the theme sets of the actual audience it is
    only the variants someone will receive, which keeps editions with many themed
    sections cheap to render.
    """
    if theme_choices is not None:
        found = {variant_for(edition, choice) for choice in theme_choices}
        return tuple(sorted(found, key=_order))
    themes = sorted({section.theme for section in edition.themed_sections if section.theme})
    variants = [
        variant_for(edition, chosen)
        for size in range(len(themes) + 1)
        for chosen in combinations(themes, size)
    ]
    return tuple(sorted(set(variants), key=_order))


def _order(variant: Variant) -> tuple[int, str]:
    return (len(variant.sections), variant.key)


def select_variants(edition: Edition, keys: Iterable[str]) -> tuple[Variant, ...]:
    """The variants named by ``keys`` (as shown by ``varcomms render``); all when empty."""
    every = variants_of(edition)
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return every
    by_key = {variant.key: variant for variant in every}
    unknown = [key for key in wanted if key not in by_key]
    if unknown:
        raise NotFoundError(
            f"edition {edition.id} has no variant {unknown[0]!r}",
            hint=f"variants: {', '.join(by_key)}",
        )
    return tuple(by_key[key] for key in wanted)
