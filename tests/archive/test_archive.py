"""`varcomms archive build`: the sent editions as a static site with an index and a feed."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser

from tests.conftest import ROOT
from varcomms.archive import build_archive
from varcomms.context import Context
from varcomms.editions import load_edition


def test_only_sent_editions_are_archived_each_as_its_own_page(
    archive_ctx: Context, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    report = build_archive(archive_ctx, out)
    assert sorted(report.built) == ["2021-12", "2022-01"]
    assert (out / "2022-01" / "index.html").is_file()
    assert not (out / "2022-02").exists()  # approved, not sent


def test_a_page_shows_every_section_and_nothing_personal(
    archive_ctx: Context, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    page = (out / "2022-01" / "index.html").read_text(encoding="utf-8")
    edition = load_edition(archive_ctx.config, "2022-01")
    themed = [section for section in edition.all_sections if section.theme]
    assert themed, "the sample edition has a themed section"
    for section in themed:
        assert section.title in page  # a themed section only some readers got
    assert "%%VARCOMMS" not in page
    assert "Beste " not in page  # the greeting belongs to a reader, not to the website
    assert "token=" not in page and "/t/" not in page
    assert 'href="../index.html"' in page


def test_the_index_groups_by_year_newest_first_with_dutch_dates(
    archive_ctx: Context, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index('id="jaar-2022"') < index.index('id="jaar-2021"')
    # The real send (2 February) dates 2022-01, not its plan or its test send.
    assert "Verzonden op <time" in index and "2 februari 2022" in index
    assert "14 december 2021" in index
    assert 'href="2022-01/index.html"' in index
    for logo in (out / "assets").iterdir():
        assert f'src="assets/{logo.name}"' in index


def test_the_atom_feed_parses_with_one_entry_per_sent_edition(
    archive_ctx: Context, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    feed = feedparser.parse((out / "feed.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    web = archive_ctx.config.urls.web_base.rstrip("/")
    assert [entry.link for entry in feed.entries] == [f"{web}/2022-01/", f"{web}/2021-12/"]
    assert feed.entries[0].published_parsed[:3] == (2022, 2, 2)
    assert feed.feed.language == "nl"


def test_a_second_build_rewrites_nothing_and_an_edit_rebuilds_only_that_edition(
    archive_ctx: Context, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    again = build_archive(archive_ctx, out)
    assert again.built == [] and sorted(again.unchanged) == ["2021-12", "2022-01"]
    assert not again.index_written and not again.feed_written

    intro = archive_ctx.config.newsletters_dir / "2021-12" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nEen correctie.\n", encoding="utf-8")
    edited = build_archive(archive_ctx, out)
    assert edited.built == ["2021-12"] and edited.unchanged == ["2022-01"]
    assert "Een correctie." in (out / "2021-12" / "index.html").read_text(encoding="utf-8")


def test_an_edition_that_is_no_longer_sent_leaves_the_archive(
    archive_ctx: Context, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    meta = archive_ctx.config.newsletters_dir / "2021-12" / "edition.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace("status: sent", "status: cancelled"),
        encoding="utf-8",
    )
    report = build_archive(archive_ctx, out)
    assert report.removed == ["2021-12"]
    assert not (out / "2021-12").exists()
    assert "2021-12" not in (out / "index.html").read_text(encoding="utf-8")
    assert report.feed_written


def test_force_rebuilds_every_page(archive_ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    assert sorted(build_archive(archive_ctx, out, force=True).built) == ["2021-12", "2022-01"]


def test_an_empty_archive_still_has_an_index_and_a_valid_feed(
    archive_ctx: Context, tmp_path: Path
) -> None:
    for folder in archive_ctx.config.newsletters_dir.iterdir():
        meta = folder / "edition.yaml"
        meta.write_text(meta.read_text().replace("status: sent", "status: draft"))
    out = tmp_path / "site"
    report = build_archive(archive_ctx, out)
    assert report.editions == 0
    assert "nog geen edities verzonden" in (out / "index.html").read_text(encoding="utf-8")
    assert feedparser.parse((out / "feed.atom").read_bytes()).entries == []


def test_cli_archive_build_reports_json(cli, archive_ctx: Context, tmp_path: Path) -> None:
    # The command reads a varcomms.toml; its folders resolve beside it (tmp_path).
    out = tmp_path / "cli-site"
    config = _config_file(tmp_path)
    result = cli("--config", str(config), "archive", "build", "--out", str(out), "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert sorted(data["built"]) == ["2021-12", "2022-01"]


def _config_file(tmp_path: Path) -> Path:
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    config = tmp_path / "varcomms.toml"
    config.write_text(text, encoding="utf-8")
    return config
