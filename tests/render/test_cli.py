"""`varcomms render` in-process, with the editions stage stood in by a tiny module."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.render.conftest import load_fixture_edition
from varcomms.config import Config
from varcomms.errors import NotFoundError
from varcomms.models import Edition


@pytest.fixture
def editions(monkeypatch: pytest.MonkeyPatch) -> dict[str, Edition]:
    """``varcomms.editions.load_edition`` serving the fixture edition (and only it)."""
    known = {"2022-02": load_fixture_edition()}

    def load_edition(config: Config, edition_id: str) -> Edition:
        if edition_id not in known:
            raise NotFoundError(f"no edition {edition_id!r}")
        return known[edition_id]

    module = types.ModuleType("varcomms.editions")
    module.load_edition = load_edition  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "varcomms.editions", module)
    return known


CONFIG = str(ROOT / "varcomms.toml")


def test_render_writes_every_variant(cli, editions, tmp_path: Path) -> None:
    result = cli("--config", CONFIG, "render", "2022-02", "--out", str(tmp_path))
    assert result.code == 0, result
    assert "algemeen" in result.stdout and "cyber" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "algemeen.html",
        "algemeen.txt",
        "algemeen.web.html",
        "cyber.html",
        "cyber.txt",
        "cyber.web.html",
    ]


def test_render_one_variant_as_json(cli, editions, tmp_path: Path) -> None:
    result = cli(
        "--config",
        CONFIG,
        "render",
        "2022-02",
        "--variant",
        "cyber",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert [v["key"] for v in data["variants"]] == ["cyber"]
    assert data["variants"][0]["themes"] == ["cybercriminaliteit"]
    assert data["variants"][0]["findings"] == []
    assert Path(data["variants"][0]["html"]).exists()


def test_unknown_variant_and_edition_are_clear_errors(cli, editions, tmp_path: Path) -> None:
    result = cli("--config", CONFIG, "render", "2022-02", "--variant", "x", "--out", str(tmp_path))
    assert result.code == 2
    assert "has no variant 'x'" in result.stderr and "algemeen, cyber" in result.stderr
    missing = cli("--config", CONFIG, "render", "2030-01", "--out", str(tmp_path))
    assert missing.code == 2 and "no edition '2030-01'" in missing.stderr


def test_quality_errors_give_exit_code_1_after_writing(cli, editions, tmp_path: Path) -> None:
    edition = editions["2022-02"]
    news = edition.sections[0]
    bad_item = news.items[0].model_copy(update={"image_alt": None, "url": None})
    item_html = '<p><a href="/relatief">relatieve link</a></p>'
    bad_item = bad_item.model_copy(update={"summary_html": item_html})
    section = news.model_copy(update={"items": (bad_item,)})
    editions["2022-02"] = edition.model_copy(update={"sections": (section,)})
    result = cli("--config", CONFIG, "render", "2022-02", "--out", str(tmp_path))
    assert result.code == 1
    assert "algemeen: error [absolute-url] href='/relatief'" in result.stdout
    assert "quality checks found" in result.stderr
    assert (tmp_path / "algemeen.html").exists()


def test_commands_have_help(cli, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("render", "preview"):
        result = cli(command, "--help")
        assert result.code == 0
        assert "--variant" in capsys.readouterr().out
