"""Reading edition folders: the model render consumes, and errors that point at a line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ROOT
from tests.editions.conftest import JANUARY, make_context, replace_in
from varcomms.clock import FakeClock
from varcomms.config import Config, load_config
from varcomms.editions import approve, list_editions, load_edition
from varcomms.errors import ConfigError, InputError, NotFoundError
from varcomms.models import EditionStatus, ItemKind

AMS = ZoneInfo("Europe/Amsterdam")


def test_sample_edition_reads_into_the_model(project: Config, sample: Path) -> None:
    edition = load_edition(project, "2022-01")
    assert (edition.id, edition.number, edition.status) == ("2022-01", 1, EditionStatus.DRAFT)
    assert edition.planned == datetime(2022, 2, 1, 9, 0, tzinfo=AMS)
    assert edition.planned.utcoffset() is not None
    assert edition.brands == ("var", "riec")
    assert edition.audience is None  # "all"
    assert [s.slug for s in edition.all_sections] == [
        "nieuws", "kennis", "thema-verward-gedrag", "agenda", "campagne", "riec",
    ]  # fmt: skip
    themed = edition.themed_sections
    assert [(s.slug, s.theme) for s in themed] == [("thema-verward-gedrag", "verward-gedrag")]
    assert edition.riec is not None and edition.riec.brand == "riec"
    agenda = edition.agenda
    assert agenda is not None
    assert all(item.kind is ItemKind.EVENT for item in agenda.items)
    conference = agenda.items[-1]
    assert conference.event is not None and conference.event.all_day
    assert conference.event.start == datetime(2022, 5, 19, tzinfo=AMS)
    webinar = agenda.items[0].event
    assert webinar is not None and webinar.end == datetime(2022, 2, 15, 15, 30, tzinfo=AMS)
    hackshield = edition.sections[0].items[1]
    assert hackshield.image_alt and hackshield.image_url.startswith("https://")
    assert "<strong>jaarverslag 2021 en jaarplan 2022</strong>" in (
        edition.sections[0].items[0].summary_html
    )
    assert edition.intro_html.startswith("<p>Voor u ligt de eerste nieuwsbrief van 2022")
    assert "Beste" not in edition.intro_html  # the template greets each reader by name


def test_markdown_is_sanitised(project: Config, sample: Path) -> None:
    replace_in(
        sample / "kennis.md",
        "Aan het digitale Leerhuis Cyber",
        '<script>alert(1)</script><a href="javascript:x()">klik</a> '
        "Aan het digitale Leerhuis Cyber",
    )
    item = load_edition(project, "2022-01").sections[1].items[0]
    assert "<script" not in item.summary_html and "alert" not in item.summary_html
    assert "javascript:" not in item.summary_html
    assert "Aan het digitale Leerhuis Cyber" in item.summary_html


def _error(project: Config) -> InputError:
    with pytest.raises(InputError) as caught:
        load_edition(project, "2022-01")
    return caught.value


def test_malformed_yaml_names_file_and_line(project: Config, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "kind: regular", "kind: [regular")
    err = _error(project)
    assert err.path == sample / "edition.yaml"
    assert err.line in (10, 11)  # the bracket opens on 10; the parser trips on 11
    assert f"{sample / 'edition.yaml'}:{err.line}:" in str(err)
    assert "not valid YAML" in str(err)


def test_malformed_item_front_matter_names_its_line(project: Config, sample: Path) -> None:
    replace_in(sample / "kennis.md", "title: Webinar geldezels terugkijken", "title: [geldezels")
    err = _error(project)
    assert err.path == sample / "kennis.md"
    lines = (sample / "kennis.md").read_text().splitlines()
    opened = lines.index("title: [geldezels") + 1
    # The flow list opens on the title line; the parser notices on the line after it.
    assert err.line in (opened, opened + 1)


def test_unknown_theme_names_file_line_and_field(project: Config, sample: Path) -> None:
    replace_in(
        sample / "riec.md", "themes: [ondermijning, privacy]", "themes: [ondermijning, drugs]"
    )
    err = _error(project)
    lines = (sample / "riec.md").read_text().splitlines()
    assert err.path == sample / "riec.md"
    assert lines[err.line - 1] == "themes: [ondermijning, drugs]"
    assert err.field == "themes"
    assert "unknown theme 'drugs'" in str(err)


def test_unknown_section_theme(project: Config, sample: Path) -> None:
    replace_in(sample / "thema-verward-gedrag.md", "theme: verward-gedrag", "theme: verwarring")
    err = _error(project)
    assert err.path == sample / "thema-verward-gedrag.md"
    assert (err.line, err.field) == (3, "theme")


def test_missing_section_file_points_at_the_list_entry(project: Config, sample: Path) -> None:
    (sample / "kennis.md").unlink()
    err = _error(project)
    assert err.path == sample / "edition.yaml"
    lines = (sample / "edition.yaml").read_text().splitlines()
    assert lines[err.line - 1].startswith("sections:")
    assert err.field == "sections[1]"
    assert "kennis.md is missing" in str(err)


def test_missing_section_file_in_a_block_list(project: Config, sample: Path) -> None:
    replace_in(
        sample / "edition.yaml",
        "sections: [nieuws, kennis, thema-verward-gedrag]",
        "sections:\n  - nieuws\n  - kennis\n  - extra\n  - thema-verward-gedrag",
    )
    err = _error(project)
    lines = (sample / "edition.yaml").read_text().splitlines()
    assert lines[err.line - 1] == "  - extra"


def test_missing_required_field_and_wrong_types(project: Config, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "number: 1\n", "number: een\n")
    err = _error(project)
    assert err.field == "number" and err.line == 4


def test_unknown_field_in_item(project: Config, sample: Path) -> None:
    replace_in(sample / "campagne.md", "kind: campaign", "kind: campaign\nlinkk: https://x.nl")
    err = _error(project)
    assert err.field == "linkk" and "unknown field" in str(err)
    assert (sample / "campagne.md").read_text().splitlines()[err.line - 1].startswith("linkk")


def test_agenda_item_needs_a_start(project: Config, sample: Path) -> None:
    replace_in(sample / "agenda.md", "start: 2022-04-04 15:00\nend: 2022-04-04 17:30\n", "")
    err = _error(project)
    assert err.field == "start" and err.path == sample / "agenda.md"


def test_unclosed_front_matter(project: Config, sample: Path) -> None:
    path = sample / "riec.md"
    path.write_text(path.read_text() + "\n---\ntitle: Half\n")
    err = _error(project)
    assert "not closed" in str(err)
    assert err.line == len(path.read_text().splitlines()) - 1


def test_id_must_match_folder(project: Config, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "id: 2022-01", "id: 2022-02")
    err = _error(project)
    assert err.field == "id" and err.line == 3


def test_unknown_edition(project: Config) -> None:
    with pytest.raises(NotFoundError):
        load_edition(project, "2030-01")
    with pytest.raises(NotFoundError):
        load_edition(project, "../etc")


def test_list_shows_broken_editions_beside_good_ones(project: Config, sample: Path) -> None:
    broken = project.newsletters_dir / "2022-02"
    broken.mkdir()
    (broken / "edition.yaml").write_text("id: 2022-02\nnumber: [\n")
    summaries = {s.id: s for s in list_editions(project)}
    assert summaries["2022-01"].status is EditionStatus.DRAFT
    assert summaries["2022-01"].items == 13
    assert summaries["2022-02"].error is not None and "edition.yaml:2" in summaries["2022-02"].error


def test_windows_line_endings_and_byte_order_mark(project: Config, sample: Path) -> None:
    for path in sample.iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    edition = load_edition(project, "2022-01")
    assert edition.id == "2022-01" and len(edition.sections[0].items) == 4
    # The workflow rewrites such files cleanly too.
    ctx = make_context(project, FakeClock(JANUARY))
    assert approve(ctx, "2022-01", "var", "Astrid").signoff.role == "var"
    assert load_edition(project, "2022-01").signoffs[0].by == "Astrid"


def test_section_routing_in_the_configuration_is_checked(tmp_path: Path) -> None:
    text = (ROOT / "varcomms.toml").read_text()
    for extra, problem in (
        ('section_themes = { kennis = ["kennis"] }', "unknown theme 'kennis'"),
        ('section_kinds = { campagnes = ["campagne"] }', "unknown kind 'campagne'"),
    ):
        path = tmp_path / "varcomms.toml"
        path.write_text(text.replace("[editions]\n", f"[editions]\n{extra}\n"))
        with pytest.raises(ConfigError, match=problem):
            load_config(path)
