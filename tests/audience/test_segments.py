"""Segments: rules resolved in SQL agree with an independent Python reading of the same
YAML, on a few thousand generated subscribers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import insert

from tests.audience.conftest import Person, Population, generate, write_segment
from tests.conftest import ROOT
from varcomms import audience
from varcomms.context import Context
from varcomms.errors import InputError, NotFoundError
from varcomms.store.schema import subscribers

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# -- the independent reading ------------------------------------------------------------------


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=AMSTERDAM)
    return datetime.combine(value, time(), tzinfo=AMSTERDAM)


def matches(rule: dict[str, Any], person: Person, population: Population) -> bool:
    ((key, value),) = rule.items()
    if key in ("all", "and"):
        return all(matches(r, person, population) for r in value)
    if key in ("any", "or"):
        return any(matches(r, person, population) for r in value)
    if key == "not":
        return not matches(value, person, population)
    if key == "themes":
        modes = value if isinstance(value, dict) else {"any": value}
        results = []
        for mode, slugs in modes.items():
            chosen = set(_values(slugs)) & person.themes
            results.append(
                {"any": bool(chosen), "all": chosen == set(_values(slugs)), "none": not chosen}[
                    mode
                ]
            )
        return all(results)
    if key in ("org_type", "status", "language"):
        return getattr(person, key) in _values(value)
    if key == "municipality":
        return (person.municipality or "").lower() in [v.lower() for v in _values(value)]
    if key == "signed_up":
        signup = person.consent_at or person.created_at
        after, before = value.get("after"), value.get("before")
        return (after is None or signup >= _moment(after)) and (
            before is None or signup < _moment(before)
        )
    if key == "opened":
        recent = set(population.editions_newest_last[-value["last_editions"] :])
        return bool(recent & person.engaged_editions)
    raise AssertionError(f"the test does not know rule {key}")


def expected_recipients(rule: dict[str, Any] | None, population: Population) -> list[int]:
    return [
        p.id
        for p in population.people
        if p.status == "subscribed"
        and p.email not in population.suppressed_addresses
        and p.domain not in population.suppressed_domains
        and (rule is None or matches(rule, p, population))
    ]


RULES: dict[str, dict[str, Any]] = {
    "themes-all-or-place": {
        "any": [
            {"themes": {"all": ["ondermijning", "mensenhandel"]}},
            {"municipality": ["Schiedam", "vlaardingen"]},
        ]
    },
    "not-none": {"not": {"themes": {"none": ["cybercriminaliteit", "privacy"]}}},
    "three-rules": {
        "and": [
            {"status": ["subscribed", "pending"]},
            {"signed_up": {"after": date(2020, 1, 1), "before": date(2021, 7, 1)}},
            {"language": "en"},
        ]
    },
    "engagement": {
        "or": [{"opened": {"last_editions": 1}}, {"not": {"opened": {"last_editions": 3}}}]
    },
    "mixed-themes": {"themes": {"any": ["veilig-wonen", "monitoring"], "none": ["privacy"]}},
    "org-and-place": {
        "all": [{"org_type": ["gemeente", "politie"]}, {"municipality": "rotterdam"}]
    },
}


@pytest.fixture
def population(actx: Context) -> Population:
    return generate(actx.store, [t.slug for t in actx.config.themes])


def test_segments_agree_with_an_independent_evaluation(
    actx: Context, population: Population
) -> None:
    for name, rule in RULES.items():
        write_segment(actx.config, name, rule)
    for name, rule in RULES.items():
        segment = audience.load_segment(actx.config, name)
        expected = expected_recipients(rule, population)
        got = [s.id for s in audience.iter_recipients(actx.store, segment, batch_size=250)]
        assert got == expected, name  # same people, in id order
        assert audience.count(actx.store, segment) == len(expected), name
        everyone = [p.id for p in population.people if matches(rule, p, population)]
        assert audience.count_matching(actx.store, segment) == len(everyone), name
        assert 0 < len(expected) < len(population.people), f"{name} tests nothing"


def test_sample_segments_agree_with_an_independent_evaluation(
    actx: Context, population: Population
) -> None:
    for path in sorted((ROOT / "audiences").glob("*.yaml")):
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))["rule"]
        (actx.config.audiences_dir / path.name).write_text(path.read_text(encoding="utf-8"))
        segment = audience.load_segment(actx.config, path.stem)
        got = [s.id for s in audience.iter_recipients(actx.store, segment)]
        assert got == expected_recipients(rule, population), path.name
        assert got, f"{path.name} selects nobody in the generated audience"


def test_everyone_is_every_subscribed_unsuppressed_person(
    actx: Context, population: Population
) -> None:
    recipients = list(audience.iter_recipients(actx.store, batch_size=700))
    assert [s.id for s in recipients] == expected_recipients(None, population)
    by_id = {p.id: p for p in population.people}
    for subscriber in recipients[:50]:
        assert subscriber.themes == by_id[subscriber.id].themes
        assert subscriber.status == "subscribed"


def test_opened_means_nobody_before_any_edition_was_sent(actx: Context) -> None:
    now = actx.clock.now()
    with actx.store.begin() as db:
        db.execute(
            insert(subscribers).values(
                email="a@example.org", status="subscribed", created_at=now, updated_at=now
            )
        )
    write_segment(actx.config, "opened", {"opened": {"last_editions": 2}})
    write_segment(actx.config, "not-opened", {"not": {"opened": {"last_editions": 2}}})
    assert audience.count(actx.store, audience.load_segment(actx.config, "opened")) == 0
    assert audience.count(actx.store, audience.load_segment(actx.config, "not-opened")) == 1


# -- validation ----------------------------------------------------------------------------------

BROKEN = [
    ("rule:\n  all:\n    - themes: [cyber]\n", 3, "unknown value 'cyber'"),
    ("rule:\n  org_type: gemeentes\n", 2, "unknown value 'gemeentes'"),
    ("rule:\n  all:\n    - org_type: gemeente\n    - colour: blue\n", 4, "unknown rule 'colour'"),
    ("rule:\n  org_type: gemeente\n  language: nl\n", 2, "exactly one key"),
    ("rule:\n  any: []\n", 2, "non-empty list"),
    ("rule:\n  signed_up: {after: 2022-02-30}\n", 2, "not a date"),
    ("rule:\n  signed_up: {after: 2022-02-01, before: 2022-01-01}\n", 2, "earlier"),
    ("rule:\n  opened: {last_editions: 0}\n", 2, "whole number"),
    ("name: iets-anders\nrule:\n  language: nl\n", 1, "does not match the file name"),
    ("description: x\n", 1, "missing 'rule:'"),
    ("rule:\n  themes: {some: [privacy]}\n", 2, "unknown mode 'some'"),
    ("rule: [\n", 2, "not valid YAML"),
    ("rules:\n  language: nl\n", 1, "unknown key 'rules'"),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_invalid_segments_name_file_and_line(
    sample_config, tmp_path: Path, text: str, line: int, message: str
) -> None:
    paths = sample_config.paths.model_copy(update={"audiences": tmp_path})
    config = sample_config.model_copy(update={"paths": paths})
    path = tmp_path / "kapot.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        audience.load_segment(config, "kapot")
    assert caught.value.path == path
    assert caught.value.line == line, caught.value.message
    assert message in caught.value.message
    assert f"{path}:{line}: " in str(caught.value)


def test_unknown_segment_lists_the_known_ones(sample_config) -> None:
    with pytest.raises(NotFoundError) as caught:
        audience.load_segment(sample_config, "bestaat-niet")
    assert "cyber-gemeenten" in (caught.value.hint or "")


def test_sample_segments_load(sample_config) -> None:
    segments = audience.load_segments(sample_config)
    assert [s.name for s in segments] == ["betrokken-lezers", "cyber-gemeenten", "riec-partners"]
    assert all(s.description for s in segments)


def test_a_badly_named_segment_file_is_not_ignored(actx: Context) -> None:
    (actx.config.audiences_dir / "Cyber Gemeenten.yaml").write_text("rule: {language: nl}\n")
    with pytest.raises(InputError, match=r"Cyber Gemeenten\.yaml: is not a usable segment name"):
        audience.load_segments(actx.config)
