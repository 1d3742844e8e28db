"""The CLI as a whole: every command has help text and is documented in the README."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from tests.conftest import ROOT
from varcomms.cli.main import app


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    yield " ".join(path), command
    if hasattr(command, "list_commands"):  # a group (the root loads its commands lazily)
        for name in command.list_commands(None):
            yield from walk(command.get_command(None, name), (*path, name))


def all_commands() -> list[tuple[str, Any]]:
    return [(name, cmd) for name, cmd in walk(typer.main.get_command(app)) if name]


def test_every_command_has_help() -> None:
    assert len(all_commands()) >= 5  # the walk really finds the commands
    missing = [name for name, cmd in all_commands() if not (cmd.help or "").strip()]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    leaves = [name for name, cmd in all_commands() if not hasattr(cmd, "list_commands")]
    undocumented = [name for name in leaves if f"varcomms {name}" not in readme]
    assert undocumented == []


def test_list_and_report_commands_offer_json() -> None:
    reporting = ("list", "status", "show", "check", "segments", "themes", "count")
    lacking = [
        name
        for name, cmd in all_commands()
        if name.split()[-1] in reporting
        and "--json" not in {opt for p in cmd.params for opt in getattr(p, "opts", [])}
    ]
    assert lacking == []


def test_version(cli, capsys) -> None:
    from varcomms import __version__

    result = cli("--version")
    assert result.code == 0
    assert capsys.readouterr().out.strip() == f"varcomms {__version__}"


def test_unknown_command_is_a_usage_error(cli) -> None:
    result = cli("frobnicate")
    assert result.code == 2
    assert "No such command" in result.stderr


def test_version_does_not_load_the_stages() -> None:
    # Sub-command modules load on first use; a bare `varcomms --version` stays quick.
    import subprocess
    import sys

    code = (
        "import sys; from varcomms.cli.main import run; run(['--version']);"
        "print(sorted(m for m in ('sqlalchemy', 'varcomms.sources', 'varcomms.render')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"
