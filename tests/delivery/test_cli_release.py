"""The editor's side of the send path through the real CLI: a send to nobody is refused
(first-use.md U1), an edition marked sent with nobody reached can be sent, a bad
--segment stops every kind of send (U11), held rows are listed in full and released
(delivery.md D3), and a paused or unclean run exits 1 after its report (D11, U12)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, select, update

from tests.delivery.conftest import SIGNING_KEY
from tests.delivery.test_cli_end_to_end import EDITION, temp_config
from varcomms.store.schema import deliveries, sends


def workspace(cli, tmp_path: Path, database_url: str, *, audience: bool = True):
    config = str(temp_config(tmp_path, database_url))
    env = {"VARCOMMS_SIGNING_KEY": SIGNING_KEY}

    def run(*args: str):
        return cli("--config", config, *args, env=env)

    if audience:
        assert run("audience", "import", str(tmp_path / "subscribers.csv")).code == 0
    for role, who in (("var", "Astrid de Jong"), ("riec", "Ruud Bakker")):
        assert run("edition", "approve", EDITION, "--as", role, "--by", who).code == 0
    return run


def edition_status(tmp_path: Path) -> str:
    text = (tmp_path / "newsletters" / EDITION / "edition.yaml").read_text("utf-8")
    return text.split("\nstatus: ", 1)[1].split("\n", 1)[0]


def test_a_send_to_nobody_is_refused_with_a_hint_and_the_edition_stays_approved(
    cli, tmp_path: Path, database_url: str
) -> None:
    run = workspace(cli, tmp_path, database_url, audience=False)
    refused = run("send", EDITION, "--yes")
    assert refused.code == 2
    assert "0 recipients" in refused.stderr and "audience import" in refused.stderr
    assert edition_status(tmp_path) == "approved"
    assert run("audience", "import", str(tmp_path / "subscribers.csv")).code == 0
    sent = run("send", EDITION, "--yes", "--json")
    assert sent.code == 0, sent
    assert json.loads(sent.stdout)["sent"] > 0 and edition_status(tmp_path) == "sent"


def test_an_edition_marked_sent_with_nobody_reached_can_be_sent(
    cli, tmp_path: Path, database_url: str
) -> None:
    run = workspace(cli, tmp_path, database_url)
    # What an older version left behind: the edition "sent", a finished send, no rows.
    engine = create_engine(database_url)
    from datetime import UTC, datetime

    with engine.begin() as db:
        db.execute(
            sends.insert().values(
                id="2022-01-old",
                edition_id=EDITION,
                segment=None,
                provider="outbox",
                is_test=False,
                status="finished",
                created_at=datetime(2022, 1, 1, tzinfo=UTC),
                finished_at=datetime(2022, 1, 1, tzinfo=UTC),
            )
        )
    engine.dispose()
    yaml = tmp_path / "newsletters" / EDITION / "edition.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("\nstatus: approved\n", "\nstatus: sent\n"))
    sent = run("send", EDITION, "--yes", "--json")
    assert sent.code == 0, sent
    assert json.loads(sent.stdout)["sent"] > 0 and edition_status(tmp_path) == "sent"
    again = run("send", EDITION, "--yes")
    assert again.code == 1 and "already sent" in again.stderr


def test_a_bad_segment_is_an_error_on_a_test_send_too(
    cli, tmp_path: Path, database_url: str
) -> None:
    run = workspace(cli, tmp_path, database_url)
    for extra in (("--test-to", "redactie@veiligheidsalliantie.nl"), ("--dry-run",), ()):
        result = run("send", EDITION, "--segment", "bestaat-niet", "--yes", *extra)
        assert result.code != 0 and "no segment named 'bestaat-niet'" in result.stderr, extra
    assert not (tmp_path / "outbox" / EDITION).exists()


def test_held_rows_are_listed_in_full_and_released_by_the_editor(
    cli, tmp_path: Path, database_url: str
) -> None:
    run = workspace(cli, tmp_path, database_url)
    assert run("send", EDITION, "--yes").code == 0
    outbox = tmp_path / "outbox" / EDITION
    index_lines = len((outbox / "index.jsonl").read_text("utf-8").splitlines())
    # 60 rows whose fate became unknown (as after a lost answer), in a send an older
    # version called finished with the edition marked sent (delivery.md D3).
    engine = create_engine(database_url)
    with engine.begin() as db:
        ids = [r.id for r in db.execute(select(deliveries.c.id).order_by(deliveries.c.id))][:60]
        db.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids))
            .values(state="uncertain", error="no answer in time")
        )
        held = [
            r.email for r in db.execute(select(deliveries.c.email).where(deliveries.c.id.in_(ids)))
        ]
    engine.dispose()

    status = run("send", "status", EDITION, "--json")
    listed = json.loads(status.stdout)["uncertain"]
    assert len(listed) == 60 and listed[0] == {"email": held[0], "reason": "no answer in time"}
    paged = run("send", "status", EDITION)
    assert "60 uncertain (held), page 1 of 2" in paged.stdout and "--page 2" in paged.stdout
    assert held[55] in run("send", "status", EDITION, "--page", "2").stdout

    # Two named rows are counted as sent: nothing leaves.
    marked = run("send", "release", EDITION, "--mark-sent", held[0], held[1], "--yes", "--json")
    assert marked.code == 0, marked
    assert json.loads(marked.stdout)["released"] == 2
    # The rest are sent again: each once more, through the normal send loop.
    resent = run("send", "release", EDITION, "--resend", "--all", "--yes", "--json")
    assert resent.code == 0, resent
    data = json.loads(resent.stdout)
    assert data["released"] == 58 and data["send"]["sent"] == 58
    assert len((outbox / "index.jsonl").read_text("utf-8").splitlines()) == index_lines + 58
    final = json.loads(run("send", "status", EDITION, "--json").stdout)
    assert set(final["states"]) == {"sent"} and final["uncertain"] == []
    assert edition_status(tmp_path) == "sent"
    nothing = run("send", "release", EDITION, "--resend", "--all", "--yes")
    assert nothing.code == 1 and "no held rows" in nothing.stderr


def test_release_asks_with_the_counts_and_a_no_changes_nothing(
    cli, tmp_path: Path, database_url: str, monkeypatch
) -> None:
    import io

    run = workspace(cli, tmp_path, database_url)
    assert run("send", EDITION, "--yes").code == 0
    engine = create_engine(database_url)
    with engine.begin() as db:
        db.execute(update(deliveries).values(state="uncertain"))
    engine.dispose()
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    answer = run("send", "release", EDITION, "--resend", "--all")
    assert answer.code == 1 and "not confirmed" in answer.stderr
    assert "selected to send again" in answer.stdout
    status = json.loads(run("send", "status", EDITION, "--json").stdout)
    assert set(status["states"]) == {"uncertain"}
