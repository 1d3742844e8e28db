"""The loop closed, through real processes: send an edition through a Mailgun API on
loopback, post a hard bounce, a complaint and a click to a running `varcomms serve`,
read `report ID --json`, then send a second edition that skips whoever bounced or
complained."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from tests.conftest import ROOT
from tests.delivery.fake_mailgun import FakeMailgun, Faults
from tests.web.test_concurrent import serve
from varcomms.store.schema import deliveries

SIGNING_KEY = "end-to-end-signing-key-0123456789"
WEBHOOK_KEY = "end-to-end-mailgun-webhook-key"
ENV = {
    "VARCOMMS_SIGNING_KEY": SIGNING_KEY,
    "VARCOMMS_MAILGUN_API_KEY": "key-end-to-end",
    "VARCOMMS_MAILGUN_WEBHOOK_SIGNING_KEY": WEBHOOK_KEY,
}
CLICKED = "https://veiligheidsalliantie.nl/nieuws/hackshield"


@pytest.fixture
def mailgun() -> Iterator[FakeMailgun]:
    fake = FakeMailgun(Faults(0, 0, 0, 0)).start()
    yield fake
    fake.stop()


def project(tmp_path: Path, database_url: str, base_url: str) -> Path:
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    for old, new in {
        'data = "data"': f'data = "{tmp_path / "data"}"',
        'newsletters = "newsletters"': f'newsletters = "{tmp_path / "newsletters"}"',
        'templates = "templates"': f'templates = "{ROOT / "templates"}"',
        'audiences = "audiences"': f'audiences = "{ROOT / "audiences"}"',
        'logo_path = "templates/': f'logo_path = "{ROOT}/templates/',
        'path = "samples/': f'path = "{ROOT}/samples/',
        'name = "outbox"': 'name = "mailgun"',
        'base_url = "https://api.eu.mailgun.net"': f'base_url = "{base_url}"',
        'timezone = "Europe/Amsterdam"': (
            f'timezone = "Europe/Amsterdam"\ndatabase_url = "{database_url}"'
        ),
    }.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    config = tmp_path / "varcomms.toml"
    config.write_text(text, encoding="utf-8")
    for edition, planned in (("2022-01", "2022-02-01 09:00"), ("2022-02", "2022-02-08 09:00")):
        folder = tmp_path / "newsletters" / edition
        shutil.copytree(ROOT / "newsletters" / "2022-01", folder)
        meta = folder / "edition.yaml"
        yaml = meta.read_text(encoding="utf-8")
        yaml = re.sub(r"(?m)^id: .*$", f"id: {edition}", yaml)
        yaml = re.sub(r"(?m)^number: .*$", f"number: {edition[-1]}", yaml)
        yaml = re.sub(r"(?m)^planned: .*$", f"planned: {planned}", yaml)
        meta.write_text(yaml, encoding="utf-8")
    return config


def webhook(port: int, email: str, message_id: str, event: dict) -> dict:
    stamp, token = str(int(time.time())), uuid.uuid4().hex * 2
    signature = hmac.new(WEBHOOK_KEY.encode(), (stamp + token).encode(), hashlib.sha256)
    body = json.dumps(
        {
            "signature": {"timestamp": stamp, "token": token, "signature": signature.hexdigest()},
            "event-data": {
                "id": uuid.uuid4().hex,
                "timestamp": time.time(),
                "recipient": email,
                "message": {"headers": {"message-id": message_id.strip("<>")}},
                **event,
            },
        }
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/webhooks/mailgun", body, {"Content-Type": "application/json"})
    answer = connection.getresponse()
    data = json.loads(answer.read())
    connection.close()
    assert answer.status == 200, data
    return data


def test_send_webhooks_report_and_the_next_send(
    cli, tmp_path: Path, database_url: str, mailgun: FakeMailgun, monkeypatch
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    config = project(tmp_path, database_url, mailgun.base_url)

    def run(*args: str):
        return cli("--config", str(config), *args)

    imported = run("audience", "import", str(ROOT / "audiences" / "sample-subscribers.csv"))
    assert imported.code == 0, imported
    for role, who in (("var", "Astrid de Jong"), ("riec", "Ruud Bakker")):
        assert run("edition", "approve", "2022-01", "--as", role, "--by", who).code == 0
    first = run("send", "2022-01", "--yes")
    assert first.code == 0, first

    with create_engine(database_url).connect() as db:
        ledger = db.execute(
            select(deliveries.c.email, deliveries.c.message_id)
            .where(deliveries.c.edition_id == "2022-01", deliveries.c.state == "sent")
            .order_by(deliveries.c.email)
        ).all()
    recipients = len(ledger)
    assert recipients > 100 and set(mailgun.accepted) == {email for email, _ in ledger}
    (bounced, bounced_id), (complained, complained_id), (reader, reader_id) = ledger[:3]

    with serve(config) as (_, port):
        webhook(
            port,
            bounced,
            bounced_id,
            {"event": "failed", "severity": "permanent", "delivery-status": {"code": 550}},
        )
        webhook(port, complained, complained_id, {"event": "complained"})
        webhook(port, reader, reader_id, {"event": "clicked", "url": CLICKED})

    report = run("report", "2022-01", "--json")
    assert report.code == 0, report
    totals = json.loads(report.stdout)["totals"]
    assert totals["recipients"] == recipients and totals["accepted"] == recipients
    assert (totals["bounced_hard"], totals["complained"], totals["clicked"]) == (1, 1, 1)
    assert totals["opened"] == 1  # the click implies an open
    assert json.loads(report.stdout)["top_links"][0]["url"] == CLICKED

    for role, who in (("var", "Astrid de Jong"), ("riec", "Ruud Bakker")):
        assert run("edition", "approve", "2022-02", "--as", role, "--by", who).code == 0
    second = run("send", "2022-02", "--yes")
    assert second.code == 0, second
    # Everyone got the first edition once; the bounced and the complaining reader did
    # not get the second; everyone else got it once.
    assert mailgun.accepted[bounced] == 1 and mailgun.accepted[complained] == 1
    assert mailgun.accepted[reader] == 2
    assert sum(mailgun.accepted.values()) == 2 * recipients - 2
