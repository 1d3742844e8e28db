"""`varcomms collect` and `varcomms items …` through the real CLI, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.sources.conftest import FIXTURES


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A varcomms.toml whose sources are the test fixtures and whose data is in tmp."""
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    text = text.replace('data = "data"', f'data = "{tmp_path / "data"}"')
    head, _, rest = text.partition("[[sources]]")
    tail = rest[rest.index("[collect]") :]
    sources = f"""
[[sources]]
name = "wp"
kind = "rss"
path = "{FIXTURES / "wordpress.xml"}"
brand = "var"

[[sources]]
name = "riec"
kind = "rss"
url = "file:{FIXTURES / "dutch-dates.xml"}"

[[sources]]
name = "kapot"
kind = "rss"
path = "{FIXTURES / "page.html"}"

"""
    config = tmp_path / "varcomms.toml"
    config.write_text(head + sources + tail, encoding="utf-8")
    return config


def test_collect_summary_and_exit_code(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", str(project), "collect")
    assert result.code == 1  # one source failed; the others landed
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "ok" in lines["wp"] and "│ 3 " in lines["wp"]
    assert "ok" in lines["riec"]
    assert "failed" in lines["kapot"] and "is an HTML page, not a feed" in result.stdout
    assert "hint (kapot): check the source's url" in result.stderr
    assert "error: 1 source(s) failed: kapot" in result.stderr
    again = cli("--config", str(project), "collect", "--source", "wp", "--json")
    assert again.code == 0
    data = json.loads(again.stdout)
    assert [(s["name"], s["unchanged"], s["status"]) for s in data["sources"]] == [("wp", 3, "ok")]


def test_collect_rejects_a_bad_date(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("--config", str(project), "collect", "--since", "gisteren")
    assert result.code == 2
    assert "--since: 'gisteren' is not a date like 2022-01-31" in result.stderr


def test_items_list_show_skip_tag(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("--config", str(project), "collect", "-s", "wp", "-s", "riec").code == 0
    listed = cli("--config", str(project), "items", "list", "--json", "--source", "riec")
    found = json.loads(listed.stdout)
    assert [i["title"] for i in found] == ["Zomertijd", "Maart", "Witwassen via vastgoed"]
    themed = json.loads(
        cli("--config", str(project), "items", "list", "--theme", "veilig-wonen", "--json").stdout
    )
    assert [i["title"] for i in themed] == ["Zonder guid, met thumbnail"]
    table = cli("--config", str(project), "items", "list", "--since", "2022-01-19")
    assert "4 item(s)" in table.stdout and "Zomertijd" in table.stdout

    item_id = themed[0]["id"]
    shown = cli("--config", str(project), "items", "show", item_id[:6])
    assert shown.code == 0 and "https://test.example.nl/thumb.jpg" in shown.stdout
    assert "2022-01-20 15:30" in shown.stdout  # local time (Europe/Amsterdam)

    skipped = cli("--config", str(project), "items", "skip", item_id[:8])
    assert skipped.stdout.startswith(f"{item_id[:8]} skipped:")
    new_only = json.loads(
        cli("--config", str(project), "items", "list", "--status", "new", "--json").stdout
    )
    assert item_id not in {i["id"] for i in new_only}
    assert cli("--config", str(project), "items", "skip", item_id, "--undo").code == 0

    tagged = cli("--config", str(project), "items", "tag", item_id, "--add", "privacy",
                 "--remove", "veilig-wonen")  # fmt: skip
    assert tagged.stdout.strip() == f"{item_id[:8]} themes: privacy"
    unknown = cli("--config", str(project), "items", "tag", item_id, "--set", "nope")
    assert unknown.code == 2 and "unknown theme 'nope'" in unknown.stderr
    missing = cli("--config", str(project), "items", "show", "ffffffffff")
    assert missing.code == 2 and "no item with id 'ffffffffff'" in missing.stderr


def test_every_command_has_help(cli, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    for args in (["collect"], ["items", "list"], ["items", "show"], ["items", "skip"],
                 ["items", "tag"]):  # fmt: skip
        result = cli(*args, "--help")
        assert result.code == 0, args
        assert "Usage" in capsys.readouterr().out
