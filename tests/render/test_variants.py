from __future__ import annotations

import pytest

from varcomms.errors import NotFoundError
from varcomms.models import Edition, EditionSection
from varcomms.render import Variant, variant_for, variants_of
from varcomms.render.variants import MAX_KEY_CHARS, select_variants, variant_key


def test_reader_without_themed_interest_gets_the_general_variant(edition: Edition) -> None:
    variant = variant_for(edition, {"mensenhandel"})
    assert variant.key == "algemeen"
    assert variant.sections == frozenset()


def test_reader_with_the_theme_gets_the_themed_section(edition: Edition) -> None:
    variant = variant_for(edition, {"cybercriminaliteit", "veilig-wonen"})
    assert variant == Variant("cyber", frozenset({"cyber"}), frozenset({"cybercriminaliteit"}))
    themed = next(s for s in edition.all_sections if s.slug == "cyber")
    assert variant.includes(themed)
    assert not variant_for(edition, ()).includes(themed)


def test_variants_of_lists_each_combination_once_general_first(edition: Edition) -> None:
    extra = EditionSection(slug="ondermijning", title="Ondermijning", theme="ondermijning")
    bigger = edition.model_copy(update={"sections": (*edition.sections, extra)})
    keys = [variant.key for variant in variants_of(bigger)]
    assert keys == ["algemeen", "cyber", "ondermijning", "cyber+ondermijning"]


def test_variants_of_with_the_audience_renders_only_what_is_received(edition: Edition) -> None:
    extra = EditionSection(slug="ondermijning", title="Ondermijning", theme="ondermijning")
    bigger = edition.model_copy(update={"sections": (*edition.sections, extra)})
    choices = [{"ondermijning"}, {"ondermijning", "privacy"}, set()]
    keys = [variant.key for variant in variants_of(bigger, theme_choices=choices)]
    assert keys == ["algemeen", "ondermijning"]


def test_two_sections_with_the_same_theme_travel_together(edition: Edition) -> None:
    twin = EditionSection(slug="cyber-tips", title="Cybertips", theme="cybercriminaliteit")
    bigger = edition.model_copy(update={"sections": (*edition.sections, twin)})
    assert [v.key for v in variants_of(bigger)] == ["algemeen", "cyber+cyber-tips"]


def test_long_keys_stay_within_the_limit_and_unique() -> None:
    many = [f"thema-met-een-lange-naam-{n:02d}" for n in range(20)]
    key = variant_key(many)
    other = variant_key([*many[:-1], "iets-anders"])
    assert len(key) <= MAX_KEY_CHARS and len(other) <= MAX_KEY_CHARS
    assert key != other
    assert key.startswith("thema-met-een-lange-naam-00+")


def test_select_variants_by_key_and_unknown_key(edition: Edition) -> None:
    assert [v.key for v in select_variants(edition, ["cyber"])] == ["cyber"]
    assert len(select_variants(edition, [])) == 2
    with pytest.raises(NotFoundError) as caught:
        select_variants(edition, ["onbekend"])
    assert "algemeen, cyber" in (caught.value.hint or "")
