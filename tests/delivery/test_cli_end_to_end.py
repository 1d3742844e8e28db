"""`varcomms audience import`, `edition approve`, `send --yes`, `send status --json`,
through the real CLI, on a temporary copy of the sample configuration."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import ROOT
from tests.delivery.conftest import SIGNING_KEY, parse

EDITION = "2022-01"


def temp_config(tmp_path: Path, database_url: str) -> Path:
    """varcomms.toml with data, editions and outbox in tmp; templates and segments read
    in place from the repository."""
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    for old, new in {
        'data = "data"': f'data = "{tmp_path / "data"}"',
        'newsletters = "newsletters"': f'newsletters = "{tmp_path / "newsletters"}"',
        'templates = "templates"': f'templates = "{ROOT / "templates"}"',
        'audiences = "audiences"': f'audiences = "{ROOT / "audiences"}"',
        'logo_path = "templates/': f'logo_path = "{ROOT}/templates/',
        'path = "samples/': f'path = "{ROOT}/samples/',
        'directory = "data/outbox"': f'directory = "{tmp_path / "outbox"}"',
        'timezone = "Europe/Amsterdam"': (
            f'timezone = "Europe/Amsterdam"\ndatabase_url = "{database_url}"'
        ),
    }.items():
        assert old in text, old
        text = text.replace(old, new)
    assert 'name = "outbox"' in text
    path = tmp_path / "varcomms.toml"
    path.write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "newsletters" / EDITION, tmp_path / "newsletters" / EDITION)
    shutil.copy(ROOT / "audiences" / "sample-subscribers.csv", tmp_path / "subscribers.csv")
    return path


def test_import_approve_send_and_status_from_the_command_line(
    cli, tmp_path: Path, database_url: str
) -> None:
    config = str(temp_config(tmp_path, database_url))
    env = {"VARCOMMS_SIGNING_KEY": SIGNING_KEY}

    def run(*args: str):
        return cli("--config", config, *args, env=env)

    imported = run("audience", "import", str(tmp_path / "subscribers.csv"), "--json")
    assert imported.code == 0, imported
    counted = run("audience", "count", "all", "--json")
    assert counted.code == 0, counted
    everyone = json.loads(counted.stdout)["recipients"]
    for role, who in (("var", "Astrid de Jong"), ("riec", "Ruud Bakker")):
        signed = run("edition", "approve", EDITION, "--as", role, "--by", who)
        assert signed.code == 0, signed

    sent = run("send", EDITION, "--yes")
    assert sent.code == 0, sent
    assert "finished" in sent.stdout and "Messages written to" in sent.stdout

    status = run("send", "status", EDITION, "--json")
    assert status.code == 0, status
    data = json.loads(status.stdout)
    recipients = data["states"]["sent"]
    assert data["states"] == {"sent": recipients} and recipients == everyone
    assert [s["status"] for s in data["sends"]] == ["finished"]
    emls = sorted((tmp_path / "outbox" / EDITION).glob("*.eml"))
    assert len(emls) == recipients
    assert parse(emls[0].read_bytes())["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    edition_yaml = (tmp_path / "newsletters" / EDITION / "edition.yaml").read_text("utf-8")
    assert "\nstatus: sent\n" in edition_yaml

    again = run("send", EDITION, "--yes")
    assert again.code != 0 and "already sent" in again.stderr
    assert len(list((tmp_path / "outbox" / EDITION).glob("*.eml"))) == recipients
