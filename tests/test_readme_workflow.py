"""The README's editor's workflow, run as written: every line, in order, as a subprocess.

The lines come out of README.md itself, so the test breaks when the README drifts: a
new command without a check here fails, and so does a command that no longer does what
the README says. It runs on a fresh copy of the project's files (what a clone holds),
with nothing but what the README sets in the environment.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
# What a clone holds that the workflow reads (the code itself is installed).
PROJECT_FILES = ("varcomms.toml", "samples", "audiences", "templates", "newsletters/2022-01")
VOORWOORD = "Beste lezer,\n\nWelkom bij de nieuwsbrief van februari, met de agenda.\n"


def workflow_lines(readme: str) -> list[str]:
    """The lines of the first ``sh`` block under "## The editor's workflow"."""
    section = readme.split("## The editor's workflow", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert match, "the workflow section has no ```sh block"
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


@dataclass
class Step:
    line: str
    args: list[str]
    code: int
    stdout: str
    stderr: str


@dataclass
class Project:
    folder: Path
    env: dict[str, str]

    def varcomms(self, *args: str, stdin: str = "") -> Step:
        result = subprocess.run(
            [sys.executable, "-m", "varcomms", *args],
            cwd=self.folder,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        line = "varcomms " + " ".join(args)
        return Step(line, list(args), result.returncode, result.stdout, result.stderr)

    def json(self, *args: str) -> object:
        step = self.varcomms(*args, "--json")
        assert step.code == 0, step
        return json.loads(step.stdout)

    def outbox(self) -> list[dict[str, object]]:
        index = self.folder / "data" / "outbox" / "2022-02" / "index.jsonl"
        if not index.exists():
            return []
        return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]


def fresh_project(tmp_path: Path) -> Project:
    folder = tmp_path / "project"
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARCOMMS_")}
    env["COLUMNS"] = "200"  # wide tables, so titles are not cut off in the checks
    return Project(folder, env)


# --- what each README line promises ---------------------------------------------------


def check_collect(p: Project, step: Step) -> None:
    assert "total" in step.stdout
    # Nothing of the samples is "past": the clock is in their period (U4).
    assert "past events" not in step.stdout


def check_items_list(p: Project, step: Step) -> None:
    since = step.args[step.args.index("--since") + 1]
    items = p.json("items", "list", "--since", since)
    assert isinstance(items, list) and len(items) >= 10
    assert any(item["kind"] == "event" for item in items)


def check_draft_new(p: Project, step: Step) -> None:
    folder = p.folder / "newsletters" / "2022-02"
    assert (folder / "edition.yaml").is_file() and (folder / "riec.md").is_file()
    assert "Drafted 2022-02" in step.stdout
    # The agenda window holds the samples' coming events.
    assert "agenda.md" in step.stdout and (folder / "agenda.md").is_file()


def check_lint(p: Project, step: Step) -> None:
    assert "0 error(s), 0 warning(s)" in step.stdout + step.stderr


def check_preview_screenshot(p: Project, step: Step) -> None:
    for width in (600, 375):
        assert (p.folder / "out" / "2022-02" / f"algemeen-{width}.png").stat().st_size > 0


def check_test_send(p: Project, step: Step) -> None:
    address = step.args[step.args.index("--test-to") + 1]
    messages = p.outbox()
    assert [(m["to"], m["test"]) for m in messages] == [(address, True)]
    assert str(messages[0]["subject"]).startswith("[TEST]")


def check_approve(p: Project, step: Step) -> None:
    role = step.args[step.args.index("--as") + 1]
    expected = {"var": "waiting for the RIEC sign-off", "riec": "is approved"}[role]
    assert expected in step.stdout


def check_audience_import(p: Project, step: Step) -> None:
    assert "320 added" in " ".join(step.stdout.split())


def check_send(p: Project, step: Step) -> None:
    real = [m for m in p.outbox() if not m["test"]]
    assert len(real) == 297  # the subscribed, unsuppressed sample readers
    assert len({m["to"] for m in real}) == len(real)  # once per person
    status = p.json("send", "status", "2022-02")
    assert isinstance(status, dict) and status["states"] == {"sent": 297}


def check_send_status(p: Project, step: Step) -> None:
    assert "total" in step.stdout and "297" in step.stdout


CHECKS: list[tuple[tuple[str, ...], Callable[[Project, Step], None]]] = [
    (("collect",), check_collect),
    (("items", "list"), check_items_list),
    (("draft", "new"), check_draft_new),
    (("edition", "lint"), check_lint),
    (("preview",), check_preview_screenshot),
    (("send", "status"), check_send_status),
    (("send", "*", "--test-to"), check_test_send),
    (("edition", "approve"), check_approve),
    (("audience", "import"), check_audience_import),
    (("send",), check_send),
]


def check_for(args: list[str]) -> Callable[[Project, Step], None]:
    for pattern, check in CHECKS:
        words = [w for w in pattern if w != "*"]
        if pattern[-1].startswith("--") and pattern[-1] in args and args[0] == pattern[0]:
            return check
        if not pattern[-1].startswith("--") and args[: len(words)] == words:
            return check
    raise AssertionError(f"the README runs `varcomms {' '.join(args)}`; add a check for it")


def test_the_readme_workflow_works_as_written(tmp_path: Path) -> None:
    lines = workflow_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    project = fresh_project(tmp_path)
    ran: list[str] = []
    for line in lines:
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            # Evaluated by a shell, as the reader's would: `$(python3 …)` included.
            name = words[1].split("=", 1)[0]
            shell = f'{line.split("#")[0]}\nprintf %s "${name}"'
            value = subprocess.run(
                ["bash", "-c", shell], env=project.env, capture_output=True, text=True, check=True
            ).stdout
            assert value, line
            project.env[name] = value
            continue
        if words[0] == "$EDITOR":
            # The editor writes the voorwoord, as the README asks.
            edition = project.folder / words[1]
            (edition / "intro.md").write_text(VOORWOORD, encoding="utf-8")
            continue
        assert words[0] == "varcomms", f"the README's workflow runs {line!r}; teach this test"
        args = words[1:]
        check = check_for(args)
        if check is check_preview_screenshot and not CHROMIUM.exists():
            step = project.varcomms(*args)
            assert step.code != 0 and "chromium" in (step.stdout + step.stderr).lower(), step
            ran.append(line)
            continue
        # Every question the workflow asks is answered "yes", as the reader would.
        step = project.varcomms(*args, stdin="y\n")
        assert step.code == 0, f"{line}\n{step.stdout}\n{step.stderr}"
        check(project, step)
        ran.append(line)
    # The README's workflow imports the audience before the send (U1).
    commands = [shlex.split(line, comments=True) for line in ran]
    imported = next(n for n, words in enumerate(commands) if words[1:3] == ["audience", "import"])
    assert imported < commands.index(["varcomms", "send", "2022-02"])
    assert len(ran) == sum(line.startswith("varcomms ") for line in lines) >= 10


def test_the_parser_reads_the_workflow_block() -> None:
    lines = workflow_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    assert lines[0].startswith("export VARCOMMS_SIGNING_KEY=")
    assert any(line.startswith("varcomms send 2022-02") for line in lines)
    with pytest.raises(AssertionError, match="add a check"):
        check_for(["frobnicate"])
