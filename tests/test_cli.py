"""The CLI as a whole: every command has help text and is documented in the README."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer

from tests.conftest import ROOT
from varcomms.cli.main import COMMANDS, app, exit_code_for
from varcomms.clock import shifted_to
from varcomms.errors import (
    ConfigError,
    InputError,
    NotFoundError,
    ProviderError,
    SourceError,
    StateError,
    VarcommsError,
)


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


def test_root_help_repeats_each_commands_own_short_help() -> None:
    # `varcomms --help` shows COMMANDS' copies so it imports no command module.
    root = typer.main.get_command(app)
    for name, (_module, _attribute, short_help) in COMMANDS.items():
        command = root.get_command(None, name)  # type: ignore[attr-defined]
        assert (command.short_help or command.help or "").strip() == short_help, name


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


# --- exit codes: one scheme at the one error edge -------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("x"), 2),
        (InputError("x", path="a.csv", line=3), 2),
        (NotFoundError("x"), 2),
        (StateError("x"), 1),
        (SourceError("x"), 1),
        (ProviderError("x", provider="outbox"), 1),
        (VarcommsError("x"), 1),
    ],
)
def test_exit_code_scheme(error: VarcommsError, code: int) -> None:
    assert exit_code_for(error) == code


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what a clone holds that the commands read; data stays in tmp_path."""
    folder = tmp_path / "project"
    for name in ("samples", "audiences", "templates", "newsletters/2022-01"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy2(ROOT / "varcomms.toml", folder / "varcomms.toml")
    return folder


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("frobnicate",), 2, "No such command"),
        (("edition", "list", "--frobnicate"), 2, "No such option"),
        (("edition", "show", "2030-01"), 2, "no edition '2030-01'"),
        (("items", "list", "--since", "gisteren"), 2, "'gisteren' is not a date"),
        (("--today", "gisteren", "edition", "list"), 2, "--today: 'gisteren' is not a date"),
        (("--config", "nope.toml", "config", "check"), 2, "nope.toml"),
        (("send", "status", "2022-01"), 2, "has not been sent"),
        (("audience", "count", "bestaat-niet"), 2, "no segment named 'bestaat-niet'"),
        (("edition", "reopen", "2022-01"), 1, "already a draft"),
        (("send", "2022-01", "--yes"), 1, "not approved"),
    ],
)
def test_exit_codes_over_commands(cli, project: Path, args, code, message) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args, cwd=project)
    assert result.code == code, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_every_signing_key_error_is_a_configuration_error_with_one_hint(
    cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("VARCOMMS_SIGNING_KEY", raising=False)
    args = ("send", "2022-01", "--test-to", "redactie@veiligheidsalliantie.nl", "--yes")
    missing = cli(*args, cwd=project)
    short = cli(*args, cwd=project, env={"VARCOMMS_SIGNING_KEY": "kort"})
    for result in (missing, short):
        assert result.code == 2, result
        assert "VARCOMMS_SIGNING_KEY" in result.stderr
        assert "secrets.token_urlsafe(32)" in result.stderr
    assert "too short" in short.stderr


def test_a_question_without_an_answer_is_a_usage_error_and_no_is_a_refusal(
    cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    args = ("send", "2022-01", "--test-to", "redactie@veiligheidsalliantie.nl")
    env = {"VARCOMMS_SIGNING_KEY": "a-test-key-of-enough-length"}
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # closed input, e.g. in a cron job
    closed = cli(*args, cwd=project, env=env)
    assert closed.code == 2 and "--yes" in closed.stderr, closed
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    declined = cli(*args, cwd=project, env=env)
    assert declined.code == 1 and "not confirmed" in declined.stderr, declined
    assert list(project.glob("data/outbox/**/*.eml")) == []  # nothing left in either case


def test_today_moves_the_clock(project: Path) -> None:
    from varcomms.context import Context

    context = Context.from_files(project / "varcomms.toml", today="2022-02-01")
    now = context.clock.now().astimezone(context.config.tz)
    assert now.date() == date(2022, 2, 1)
    # A date keeps the real time of day; the clock runs on from there.
    real = datetime.now(context.config.tz)
    assert abs(now.replace(year=real.year, month=real.month, day=real.day) - real) < timedelta(
        minutes=5
    )


def test_shifted_to_reads_dates_and_date_times() -> None:
    tz = ZoneInfo("Europe/Amsterdam")
    exact = shifted_to("2022-02-01T09:30", tz).now().astimezone(tz)
    assert (exact.date(), exact.hour, exact.minute) == (date(2022, 2, 1), 9, 30)
    utc = shifted_to("2022-02-01T09:30+00:00", tz).now()
    assert utc.astimezone(tz).hour == 10
    with pytest.raises(InputError, match="VARCOMMS_TODAY: '1-2-2022' is not a date"):
        shifted_to("1-2-2022", tz, source="VARCOMMS_TODAY")


# --- start-up: a command loads what it needs, and no more ------------------------------

# The libraries that cost most to import, and the stages a read-only command never runs
# (a package that imported all its modules eagerly would load them behind its back).
HEAVY = (
    "sqlalchemy",
    "requests",
    "playwright",
    "mjml",
    "email_validator",
    "varcomms.render",
    "varcomms.delivery.send",
    "varcomms.delivery.mime",
)
# Read-only commands and the heavy libraries each may load (the database, for most).
NEEDS = {
    "--help": (),
    "--version": (),
    "config check": (),
    "edition list": (),
    "edition show 2022-01": (),
    "items list": ("sqlalchemy",),
    "audience count cyber-gemeenten": ("sqlalchemy",),
    "send status 2022-01": ("sqlalchemy",),
}
PROBE = """
import atexit, json, os, sys
HEAVY = {heavy!r}
def report():
    loaded = sorted(name for name in HEAVY if name in sys.modules)
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(loaded, out)
atexit.register(report)
from varcomms.cli.main import run
code = run(sys.argv[1:])
"""


@pytest.mark.parametrize("command", list(NEEDS))
def test_a_read_only_command_loads_no_heavy_library_it_does_not_need(
    command: str, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "loaded.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARCOMMS_")}
    env["PROBE_OUT"] = str(out)
    subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *command.split()],
        cwd=project,
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    loaded = json.loads(out.read_text())
    assert [name for name in loaded if name not in NEEDS[command]] == []
    assert set(NEEDS[command]) <= set(loaded)  # the probe really sees what loads
