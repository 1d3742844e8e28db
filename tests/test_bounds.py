"""F21: ids and numbers from configuration, edition files and segments are bounded.

Every case is a clean, one-line error naming the file (and line), never a traceback, an
overflow or a folder with a newline in its name.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from varcomms.config import load_config
from varcomms.errors import ConfigError

BAD_SETTINGS = [
    ("editions", "agenda_window_days = 99999999999999"),
    ("editions", "first_draft_days = 99999999999999"),
    ("editions", "subject_max_chars = -5"),
    ("editions", "preheader_max_chars = 0"),
    ("editions", "general_items_max = 100000000"),
    ("collect", "connect_timeout = nan"),
    ("collect", "read_timeout = inf"),
    ("collect", "connect_timeout = -1.0"),
    ("collect", "read_timeout = 1e12"),
    ("render", "max_html_bytes = -1"),
    ("render", "warn_html_bytes = 99999999999999"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    text = text.replace('data = "data"', f'data = "{tmp_path / "data"}"')
    (tmp_path / "varcomms.toml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "newsletters" / "2022-01", tmp_path / "newsletters" / "2022-01")
    shutil.copytree(ROOT / "audiences", tmp_path / "audiences")
    return tmp_path


def _set(config: Path, section: str, line: str) -> None:
    key = line.split(" =")[0]
    text = "".join(
        row
        for row in config.read_text(encoding="utf-8").splitlines(keepends=True)
        if not row.startswith(f"{key} =")  # the sample's own value of the key, if any
    )
    header = f"[{section}]\n"
    if header in text:
        text = text.replace(header, header + line + "\n", 1)
    else:
        text += f"\n{header}{line}\n"
    config.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("section", "line"), BAD_SETTINGS)
def test_f21_configuration_numbers_are_bounded(project: Path, section: str, line: str) -> None:
    config = project / "varcomms.toml"
    key = line.split(" =")[0]
    _set(config, section, line)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert key in caught.value.message


def test_f21_deeply_nested_toml_is_a_clean_error(project: Path) -> None:
    config = project / "varcomms.toml"
    config.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(config)


def test_f21_cli_reports_bad_settings_without_a_traceback(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    config = project / "varcomms.toml"
    _set(config, "editions", "agenda_window_days = 99999999999999")
    result = cli("--config", str(config), "draft", "new", "2022-02")
    assert result.code == 2
    assert "agenda_window_days" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "edition_id", ["2099-07\n", "2099-07\r", "a" * 65, "2099-07/..", "-2099", "2099 07"]
)
def test_f21_edition_ids_are_exact(cli, project: Path, edition_id: str) -> None:  # type: ignore[no-untyped-def]
    for args in (("draft", "new", edition_id), ("edition", "show", edition_id)):
        result = cli("--config", str(project / "varcomms.toml"), *args)
        assert result.code != 0, (args, result)
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (project / "newsletters").iterdir()) == ["2022-01"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("number", "99999999999999999999"),
        ("number", "0"),
        ("id", '"2022-01\\n"'),
        ("planned", "0001-01-01 00:00"),
        ("planned", "9999-12-31 23:59"),
        ("planned", "0001-01-01T00:00:00+14:00"),
    ],
)
def test_f21_edition_yaml_numbers_and_ids_are_bounded(
    cli, project: Path, key: str, value: str
) -> None:  # type: ignore[no-untyped-def]
    meta = project / "newsletters" / "2022-01" / "edition.yaml"
    lines = meta.read_text(encoding="utf-8").splitlines(keepends=True)
    meta.write_text(
        "".join(f"{key}: {value}\n" if row.startswith(f"{key}:") else row for row in lines),
        encoding="utf-8",
    )
    result = cli("--config", str(project / "varcomms.toml"), "edition", "lint", "2022-01", "--json")
    assert result.code != 0 and "Traceback" not in result.stderr
    assert '"file": "edition.yaml"' in result.stdout


@pytest.mark.parametrize(
    "rule",
    [
        "opened: {last_editions: 99999999999999999999}",
        "opened: {last_editions: 1001}",
        "opened: {last_editions: 0}",
    ],
)
def test_f21_segment_numbers_are_bounded(cli, project: Path, rule: str) -> None:  # type: ignore[no-untyped-def]
    (project / "audiences" / "groot.yaml").write_text(f"rule:\n  {rule}\n", encoding="utf-8")
    result = cli("--config", str(project / "varcomms.toml"), "audience", "count", "groot")
    assert result.code != 0
    assert "groot.yaml:2" in result.stderr and "last_editions" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["cyber-gemeenten\n", "a" * 65])
def test_f21_segment_names_are_exact(cli, project: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", str(project / "varcomms.toml"), "audience", "count", name)
    assert result.code != 0 and "is not a segment name" in result.stderr
