"""The draft and edition commands, run in-process on a project in tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.editions.conftest import SAMPLE, replace_in


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "varcomms.toml", tmp_path / "varcomms.toml")
    shutil.copytree(SAMPLE, tmp_path / "newsletters" / "2022-01")
    return tmp_path


def run(cli, project_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli("--config", str(project_dir / "varcomms.toml"), *args)


def test_list_and_show(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    listed = run(cli, project_dir, "edition", "list", "--json")
    assert listed.code == 0, listed
    (summary,) = json.loads(listed.stdout)
    assert (summary["id"], summary["status"], summary["items"]) == ("2022-01", "draft", 13)
    assert summary["planned"] == "2022-02-01T09:00:00+01:00"
    table = run(cli, project_dir, "edition", "list")
    assert "2022-01" in table.stdout and "draft" in table.stdout
    shown = run(cli, project_dir, "edition", "show", "2022-01")
    assert shown.code == 0
    assert "only for theme verward-gedrag" in shown.stdout
    assert "RIEC sign-off" in shown.stdout
    data = json.loads(run(cli, project_dir, "edition", "show", "2022-01", "--json").stdout)
    assert data["riec"]["brand"] == "riec" and data["voided_signoffs"] == []


def test_lint_exit_codes(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    ok = run(cli, project_dir, "edition", "lint", "2022-01")
    assert ok.code == 0 and "0 error(s)" in ok.stdout
    replace_in(project_dir / "newsletters/2022-01/nieuws.md", "alt: Kinderen", "# alt: Kinderen")
    bad = run(cli, project_dir, "edition", "lint", "2022-01", "--json")
    assert bad.code == 1 and "1 lint error(s)" in bad.stderr
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert report["findings"][0]["file"] == "nieuws.md" and report["findings"][0]["line"] == 14


def test_approve_void_and_reopen(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    riec = run(cli, project_dir, "edition", "approve", "2022-01", "--as", "riec", "--by", "Anouk")
    assert riec.code == 0, riec
    assert "waiting for the VAR sign-off" in riec.stdout
    var = run(cli, project_dir, "edition", "approve", "2022-01", "--as", "var", "--by", "Astrid")
    assert "is approved" in var.stdout
    replace_in(project_dir / "newsletters/2022-01/riec.md", "Weerbaar", "Weerbaarder")
    shown = run(cli, project_dir, "edition", "show", "2022-01")
    assert "RIEC sign-off by Anouk is void: riec.md changed" in shown.stdout
    reopened = run(cli, project_dir, "edition", "reopen", "2022-01")
    assert reopened.code == 0
    assert "VAR sign-off by Astrid is void: riec.md changed" in reopened.stdout
    assert "approved → draft" in reopened.stdout
    wrong = run(cli, project_dir, "edition", "approve", "2022-01", "--as", "om")
    assert wrong.code == 2 and "sign as 'var' or 'riec'" in wrong.stderr


def test_illegal_move_and_unknown_edition(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    refused = run(cli, project_dir, "edition", "reopen", "2022-01")
    assert refused.code == 1 and "already a draft" in refused.stderr
    missing = run(cli, project_dir, "edition", "show", "2030-01")
    assert missing.code == 2 and "no edition '2030-01'" in missing.stderr
    assert "hint:" in missing.stderr


def test_draft_new_and_refresh(cli, project_dir: Path) -> None:  # type: ignore[no-untyped-def]
    made = run(cli, project_dir, "draft", "new", "--date", "2022-03-01")
    assert made.code == 0, made
    assert "Drafted 2022-02 (nr. 2, planned 2022-03-01 09:00)" in made.stdout
    assert (project_dir / "newsletters/2022-02/riec.md").is_file()
    again = run(cli, project_dir, "draft", "new", "2022-02")
    assert again.code == 1 and "already exists" in again.stderr
    fresh = run(cli, project_dir, "draft", "refresh", "2022-02")
    assert fresh.code == 0 and "Nothing new" in fresh.stdout
    report = json.loads(run(cli, project_dir, "draft", "refresh", "2022-02", "--json").stdout)
    assert report == {"id": "2022-02", "added": {}, "new_sections": [], "voided_signoffs": []}
    special = run(
        cli,
        project_dir,
        "draft",
        "new",
        "--date",
        "2022-08-16 10:00",
        "--special",
        "--var-only",
        "--audience",
        "gemeenten",
        "--json",
    )
    made_special = json.loads(special.stdout)
    assert (
        made_special["id"] == "2022-03" and made_special["planned"] == "2022-08-16T10:00:00+02:00"
    )
    assert "riec.md" not in made_special["sections"]
    bad = run(cli, project_dir, "draft", "new", "--date", "maart")
    assert bad.code == 2 and "--date 'maart'" in bad.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("draft", "new"),
        ("draft", "refresh"),
        ("edition", "list"),
        ("edition", "show"),
        ("edition", "lint"),
        ("edition", "approve"),
        ("edition", "reopen"),
        ("edition", "submit"),
        ("edition", "cancel"),
    ],
)
def test_every_command_has_help(cli, capsys, command: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    result = cli(*command, "--help")
    # typer prints help to the process's stdout, not to the CLI's console.
    out = capsys.readouterr().out + result.stdout
    assert result.code == 0 and "Usage" in out and "varcomms " + " ".join(command) in out
