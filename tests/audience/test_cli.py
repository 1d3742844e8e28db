"""`varcomms audience …` in-process: thin commands over the library, JSON on request."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from tests.audience.conftest import AUDIENCE_FIXTURES
from tests.conftest import ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: the sample config with data in tmp and the sample segments."""
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    (tmp_path / "varcomms.toml").write_text(
        text.replace('data = "data"', f'data = "{tmp_path / "data"}"'), encoding="utf-8"
    )
    shutil.copytree(ROOT / "audiences", tmp_path / "audiences")
    shutil.copy(AUDIENCE_FIXTURES / "dutch-excel.csv", tmp_path / "leden.csv")
    return tmp_path


def run(cli, project: Path, *args: str):
    return cli("--config", str(project / "varcomms.toml"), "audience", *args)


def test_import_dry_run_then_for_real(cli, project: Path) -> None:
    dry = run(cli, project, "import", str(project / "leden.csv"), "--dry-run", "--json")
    assert dry.code == 0, dry
    data = json.loads(dry.stdout)
    assert data["dry_run"] is True
    assert data["counts"] == {"added": 9, "updated": 0, "unchanged": 0, "skipped": 5}
    assert {s["line"] for s in data["skipped"]} == {3, 4, 5, 13, 14}
    assert not (project / "leden.rejects.csv").exists()

    real = run(cli, project, "import", str(project / "leden.csv"))
    assert real.code == 0, real
    assert "Imported leden.csv with the varcomms mapping" in real.stdout
    assert "9 added, 0 updated, 0 unchanged, 5 skipped" in real.stdout
    assert "duplicate of line 2" in real.stdout
    assert "leden.rejects.csv" in real.stdout

    again = run(cli, project, "import", str(project / "leden.csv"), "--json", "--lines")
    lines = json.loads(again.stdout)["lines"]
    assert {line["outcome"] for line in lines} == {"unchanged", "skipped"}


def test_segments_count_show_export(cli, project: Path) -> None:
    run(cli, project, "import", str(project / "leden.csv"))
    listed = run(cli, project, "segments", "--json")
    assert listed.code == 0, listed
    counts = {row["name"]: row["recipients"] for row in json.loads(listed.stdout)}
    assert counts == {"betrokken-lezers": 4, "cyber-gemeenten": 1, "riec-partners": 3}
    table = run(cli, project, "segments")
    assert "riec-partners" in table.stdout and "RIEC-partners" in table.stdout

    counted = run(cli, project, "count", "riec-partners", "--json")
    assert json.loads(counted.stdout)["recipients"] == 3
    everyone = run(cli, project, "count")
    assert "8 recipient(s) in the whole audience" in everyone.stdout

    shown = run(cli, project, "show", "J.Jansen@rotterdam.NL", "--json")
    person = json.loads(shown.stdout)
    assert person["organisation"] == "Gemeente Rotterdam; Stadsbeheer"
    assert person["suppressed"] is None
    assert (
        "Gemeente Rotterdam; Stadsbeheer"
        in run(cli, project, "show", "j.jansen@rotterdam.nl").stdout
    )

    out = project / "cyber.csv"
    exported = run(cli, project, "export", "--segment", "cyber-gemeenten", "-o", str(out))
    assert exported.code == 0, exported
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("j.jansen@rotterdam.nl,")
    to_stdout = run(cli, project, "export", "--recipients-only")
    assert len(to_stdout.stdout.strip().splitlines()) == 1 + 8


def test_privacy_and_suppression_commands(cli, project: Path, monkeypatch) -> None:
    run(cli, project, "import", str(project / "leden.csv"))
    access = run(cli, project, "export-person", "j.jansen@rotterdam.nl")
    assert json.loads(access.stdout)["subscriber"]["first_name"] == "Jan"

    added = run(cli, project, "suppress", "capelle.nl", "--domain", "--json")
    assert json.loads(added.stdout) == {"kind": "domain", "added": True}
    assert "Already suppressed" in run(cli, project, "suppress", "capelle.nl", "--domain").stdout
    listed = json.loads(run(cli, project, "suppressions", "--json").stdout)
    assert {(e["kind"], e["value"]) for e in listed} >= {("domain", "capelle.nl")}

    erased = run(cli, project, "erase", "j.jansen@rotterdam.nl", "--yes", "--json")
    assert json.loads(erased.stdout)["subscriber_removed"] is True
    gone = run(cli, project, "show", "j.jansen@rotterdam.nl")
    assert gone.code == 2 and "no subscriber" in gone.stderr
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    refused = run(cli, project, "erase", "r.mulder@riec.nl")  # answered "no"
    assert refused.code == 1 and "not erased" in refused.stderr
    assert json.loads(run(cli, project, "show", "r.mulder@riec.nl", "--json").stdout)["name"]


def test_errors_are_messages_not_tracebacks(cli, project: Path) -> None:
    missing = run(cli, project, "import", str(project / "nope.csv"))
    assert missing.code == 2 and "nope.csv: file not found" in missing.stderr
    unknown = run(cli, project, "count", "bestaat-niet")
    assert unknown.code == 2 and "no segment named 'bestaat-niet'" in unknown.stderr
    bad = run(cli, project, "suppress", "geen adres")
    assert bad.code == 2 and "cannot suppress" in bad.stderr


def test_every_command_has_help(cli, project: Path) -> None:
    for command in ("import", "export", "segments", "count", "show", "export-person", "erase",
                    "suppress", "suppressions"):  # fmt: skip
        result = run(cli, project, command, "--help")
        assert result.code == 0, command


@pytest.mark.parametrize("fragment", ["@rotterdam.nl", "a", "rotterdam.nl", "jansen"])
def test_f1_cli_erase_refuses_a_fragment_before_asking(cli, project: Path, fragment: str) -> None:
    run(cli, project, "import", str(project / "leden.csv"))
    before = run(cli, project, "export").stdout
    refused = run(cli, project, "erase", fragment, "--yes")
    assert refused.code != 0
    assert "not one valid address" in refused.stderr and "Traceback" not in refused.stderr
    assert run(cli, project, "export").stdout == before


def test_f3_cli_erase_lists_the_files_it_could_not_clean(
    cli, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    source = elsewhere / "leden.csv"
    shutil.copy(project / "leden.csv", source)  # Jan is in it twice: a rejects row
    run(cli, project, "import", str(source))  # writes leden.rejects.csv beside it
    inside = project / "data" / "backup.csv"
    outside = elsewhere / "export.csv"
    person = elsewhere / "jan.json"
    other = elsewhere / "riec.json"
    run(cli, project, "export", "-o", str(inside))
    run(cli, project, "export", "-o", str(outside))
    run(cli, project, "export-person", "j.jansen@rotterdam.nl", "-o", str(person))
    run(cli, project, "export-person", "r.mulder@riec.nl", "-o", str(other))
    erased = run(cli, project, "erase", "j.jansen@rotterdam.nl", "--yes", "--json")
    assert erased.code == 0, erased
    listed = set(json.loads(erased.stdout)["not_reached"])
    assert listed == {str(p) for p in (inside, outside, person, elsewhere / "leden.rejects.csv")}
    shown = run(cli, project, "erase", "j.jansen@rotterdam.nl", "--yes")
    assert "Not erased" in shown.stdout and str(outside) in shown.stdout
    assert "not reached" in shown.stdout  # and it says what lies beyond what it knows


def test_f9_personal_data_files_are_private(project: Path) -> None:
    """The real entry point, under the usual umask 022: nothing readable by others."""
    import os
    import stat
    import subprocess
    import sys

    config = str(project / "varcomms.toml")
    people = project / "leden.csv"
    command = [sys.executable, "-m", "varcomms", "--config", config, "audience"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARCOMMS_")}

    def varcomms(*args: str) -> None:
        done = subprocess.run(
            [*command, *args],
            env=env,
            capture_output=True,
            check=False,
            preexec_fn=lambda: os.umask(0o022),
        )
        assert done.returncode == 0, done.stderr

    varcomms("import", str(people))
    varcomms("export", "-o", str(project / "export.csv"))
    varcomms("export-person", "j.jansen@rotterdam.nl", "-o", str(project / "jan.json"))
    data = project / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    written = [*data.rglob("*"), project / "export.csv", project / "jan.json"]
    written.append(project / "leden.rejects.csv")
    for path in written:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_f9_library_writes_are_private_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    from varcomms.keyfile import open_private
    from varcomms.store import Store

    old = os.umask(0o022)
    try:
        store = Store.open(f"sqlite:///{tmp_path / 'fresh' / 'varcomms.db'}")
        store.close()
        with open_private(tmp_path / "out.csv", encoding="utf-8") as stream:
            stream.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    for path in (tmp_path / "fresh" / "varcomms.db", tmp_path / "out.csv"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
