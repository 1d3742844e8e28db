"""`varcomms demo`: the whole pipeline on the samples gives real, parseable mail."""

from __future__ import annotations

import csv
import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from varcomms.config import Secrets, load_config
from varcomms.demo import run_demo
from varcomms.models import EditionStatus


def subscribed_addresses() -> set[str]:
    with (ROOT / "audiences" / "sample-subscribers.csv").open(encoding="utf-8") as handle:
        return {row["email"] for row in csv.DictReader(handle) if row["status"] == "subscribed"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("demo")
    config = load_config(ROOT / "varcomms.toml")
    first = run_demo(config, folder, secrets=Secrets({}))
    second = run_demo(config, folder, secrets=Secrets({}))
    return folder, first, second


def messages(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted((folder / "outbox").rglob("*.eml"))
    ]


def test_demo_sends_one_valid_message_to_every_subscriber(demo_run) -> None:
    folder, first, _ = demo_run
    expected = subscribed_addresses()
    mails = messages(folder)
    assert first.sent is not None and first.sent.sent == len(expected) == len(mails)
    assert {m["To"].addresses[0].addr_spec for m in mails} == expected
    for mail in mails:
        own = mail["To"].addresses[0].addr_spec
        assert mail.get_content_type() == "multipart/alternative"
        text, html = mail.get_payload()
        assert text.get_content_type() == "text/plain"
        assert html.get_content_type() == "text/html"
        assert mail["Subject"] == first.edition.subject
        assert "februari 2022" in mail["Subject"]
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = html.get_content()
        assert 'lang="nl"' in body and "%%VARCOMMS" not in body
        others = expected - {own}
        assert not any(other in body for other in list(others)[:25])


def test_demo_greets_by_first_name(demo_run) -> None:
    folder, _, _ = demo_run
    with (ROOT / "audiences" / "sample-subscribers.csv").open(encoding="utf-8") as handle:
        first_names = {row["email"]: row["first_name"] for row in csv.DictReader(handle)}
    mail = messages(folder)[0]
    text = mail.get_payload()[0].get_content()
    first_name = first_names[mail["To"].addresses[0].addr_spec]
    assert f"Beste {first_name}," in " ".join(text.split())


def test_demo_produces_edition_render_and_index(demo_run) -> None:
    folder, first, _ = demo_run
    assert first.edition.status is EditionStatus.SENT
    assert (folder / "newsletters" / "2022-01" / "edition.yaml").is_file()
    assert first.rendered.ok
    for rendered in first.rendered.variants:
        assert rendered.html_path.is_file() and rendered.text_path.is_file()
    index = folder / "outbox" / "2022-01" / "index.jsonl"
    rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(subscribed_addresses())
    assert sum(first.per_variant.values()) == len(rows)


def test_running_the_demo_twice_sends_nobody_a_second_copy(demo_run) -> None:
    folder, first, second = demo_run
    assert second.sent is None
    assert second.ledger == first.ledger
    assert len(messages(folder)) == len(subscribed_addresses())
    new = [s for s in second.collected.sources if s.new or s.updated]
    assert new == []
    assert second.imported.count("added") == 0


def test_demo_cli_json(cli, tmp_path: Path) -> None:
    result = cli("--config", str(ROOT / "varcomms.toml"), "demo", "--out", str(tmp_path), "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["edition"] == {"id": "2022-01", "status": "sent"}
    assert data["sent_now"] == len(subscribed_addresses())
    assert Path(data["outbox"]).is_dir()


def test_demo_readers_get_the_themed_sections_they_chose(demo_run) -> None:
    folder, first, _ = demo_run
    themed = [s for s in first.edition.all_sections if s.theme]
    assert themed, "the sample settings should give the demo edition a themed section"
    with (ROOT / "audiences" / "sample-subscribers.csv").open(encoding="utf-8") as handle:
        chosen = {row["email"]: set(row["themes"].split("|")) for row in csv.DictReader(handle)}
    index = folder / "outbox" / "2022-01" / "index.jsonl"
    for row in map(json.loads, index.read_text(encoding="utf-8").splitlines()):
        wanted = sorted(s.slug for s in themed if s.theme in chosen[row["to"]])
        assert row["variant"] == ("+".join(wanted) or "algemeen")
    assert len(first.per_variant) >= 2
