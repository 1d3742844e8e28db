"""The outbox provider, dry runs, and the `send status` command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.delivery.conftest import make_variant, parse, people
from varcomms.context import Context
from varcomms.delivery import deliver, send_status
from varcomms.delivery.providers.outbox import read_index

VARIANTS = {"algemeen": make_variant(paragraphs=2), "cyber": make_variant("cyber", paragraphs=2)}


def test_outbox_writes_one_eml_per_message_and_an_index(ctx: Context, tmp_path: Path) -> None:
    recipients = people(5) + people(3, variant="cyber", start=5)
    report = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients)
    folder = tmp_path / "outbox" / "2022-02"
    assert report.provider == "outbox" and report.outbox == folder
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 8 and not list(folder.glob(".*.tmp"))
    index = read_index(folder)
    assert {entry["file"] for entry in index} == {path.name for path in files}
    by_file = {entry["file"]: entry for entry in index}
    for path in files:
        message = parse(path.read_bytes())
        assert message["To"].addresses[0].addr_spec == by_file[path.name]["to"]
        assert by_file[path.name]["variant"] in VARIANTS


def test_dry_run_writes_elsewhere_and_does_not_block_the_send(ctx: Context, tmp_path: Path) -> None:
    dry = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(4), dry_run=True)
    assert dry.dry_run and dry.sent == 4
    # F3: a dry run keeps no per-recipient file (they would be copies nobody erases).
    assert dry.outbox is None
    assert [p for p in (tmp_path / "outbox").rglob("*") if p.is_file()] == []
    real = deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(4))
    assert real.sent == 4
    assert send_status(ctx, "2022-02").states == {"sent": 4}


def test_send_status_command(ctx: Context, cli, monkeypatch) -> None:
    deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3))
    from varcomms.cli import state as cli_state

    monkeypatch.setattr(cli_state.CliState, "context", lambda self: ctx)
    result = cli("send", "status", "2022-02", "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["states"] == {"sent": 3} and data["total"] == 3
    assert data["per_variant"] == {"algemeen": {"sent": 3}}
    table = cli("send", "status", "2022-02")
    assert table.code == 0 and "algemeen" in table.stdout and "finished" in table.stdout
    missing = cli("send", "status", "1999-01")
    assert missing.code == 2 and "has not been sent" in missing.stderr
