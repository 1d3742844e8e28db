"""1,000 one-click unsubscribes at once through real server processes (two `varcomms serve`
on one database, waitress, 8 threads each), on SQLite and PostgreSQL: all of them land,
and nobody else."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import ROOT
from varcomms.context import Context
from varcomms.store.schema import events, subscribers
from varcomms.tokens import TokenSigner

from .conftest import SIGNING_KEY, add_people

TARGETS = 1000
OTHERS = 200
CLIENTS = 32  # concurrent connections: bounded, all on loopback


def config_file(tmp_path: Path, database_url: str) -> Path:
    """The sample configuration pointed at the test database and a tmp data folder."""
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    text = text.replace(
        'timezone = "Europe/Amsterdam"\n',
        f'timezone = "Europe/Amsterdam"\ndatabase_url = "{database_url}"\n',
        1,
    )
    text = text.replace('data = "data"', f'data = "{tmp_path / "data"}"', 1)
    path = tmp_path / "varcomms.toml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def serve(config: Path) -> Iterator[tuple[str, int]]:
    env = {**os.environ, "VARCOMMS_SIGNING_KEY": SIGNING_KEY, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from varcomms.cli.main import main; main()"]
    process = subprocess.Popen(
        [*command, "--config", str(config), "serve", "--port", "0", "--threads", "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://([\d.]+):(\d+)", line)
        assert found, line + (process.stderr.read() if process.stderr else "")
        yield found.group(1), int(found.group(2))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def one_click(address: tuple[str, int], path: str) -> int:
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        connection.request(
            "POST",
            path,
            body="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_thousand_concurrent_one_click_unsubscribes(
    web_ctx: Context, tmp_path: Path, database_url: str
) -> None:
    rows = [{"email": f"lezer{n:04d}@example.org"} for n in range(TARGETS + OTHERS)]
    add_people(web_ctx, tmp_path, *rows)
    with web_ctx.store.connect() as db:
        ids = dict(db.execute(select(subscribers.c.email, subscribers.c.id)).all())
    signer = TokenSigner(SIGNING_KEY)
    targets = [row["email"] for row in rows[:TARGETS]]
    paths = [
        "/afmelden/" + signer.sign("unsubscribe", e, subscriber_id=ids[e], edition_id="2022-01")
        for e in targets
    ]
    config = config_file(tmp_path, database_url)
    # Two server processes on one database, as behind a load balancer: half the clicks each.
    with (
        serve(config) as first,
        serve(config) as second,
        ThreadPoolExecutor(max_workers=CLIENTS) as pool,
    ):
        statuses = list(pool.map(one_click, [first, second] * (TARGETS // 2), paths))
    assert statuses == [200] * TARGETS
    with web_ctx.store.connect() as db:
        unsubscribed = set(
            db.execute(
                select(subscribers.c.email).where(subscribers.c.status == "unsubscribed")
            ).scalars()
        )
        logged = db.execute(
            select(func.count()).select_from(events).where(events.c.type == "unsubscribed")
        ).scalar_one()
    assert unsubscribed == set(targets)  # all of them, and nobody else
    assert logged == TARGETS
