"""Benchmark: the subscriber web app on loopback — one-click unsubscribes per second and
preference-page latency (p50/p95), SQLite and PostgreSQL.

    uv run python benchmarks/bench_web.py                     # SQLite
    uv run python benchmarks/bench_web.py --postgres postgresql://postgres@127.0.0.1:5432/test

The app runs as a real server process (`varcomms serve`, waitress, 8 threads) on a fresh
database holding generated subscribers; the clients are threads of this process, each
with its own connection. Nothing leaves the machine. The figures go in README.md here.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from varcomms.audience import import_csv
from varcomms.config import load_config, load_secrets
from varcomms.context import Context
from varcomms.store.schema import subscribers
from varcomms.tokens import TokenSigner

ROOT = Path(__file__).resolve().parents[1]
KEY = "benchmark-signing-key-0123456789abcdef"
THEMES = ["ondermijning", "privacy", "cybercriminaliteit", "verward-gedrag"]


@contextmanager
def database(postgres: str | None, folder: Path) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    admin_url = make_url(postgres).set(drivername="postgresql+psycopg")
    name = f"varcomms_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def config_file(folder: Path, url: str) -> Path:
    text_ = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    text_ = text_.replace(
        'timezone = "Europe/Amsterdam"\n',
        f'timezone = "Europe/Amsterdam"\ndatabase_url = "{url}"\n',
    )
    text_ = text_.replace('data = "data"', f'data = "{folder / "data"}"', 1)
    path = folder / "varcomms.toml"
    path.write_text(text_, encoding="utf-8")
    return path


def populate(config: Path, folder: Path, people: int) -> dict[str, int]:
    csv_path = folder / "people.csv"
    with csv_path.open("w", encoding="utf-8") as out:
        out.write("email,name,organisation,org_type,municipality,themes\n")
        for n in range(people):
            themes = "|".join(THEMES[: n % len(THEMES) + 1])
            out.write(f"lezer{n}@example.org,Lezer {n},Gemeente,gemeente,Rotterdam,{themes}\n")
    ctx = Context(config=load_config(config), secrets=load_secrets({"VARCOMMS_SIGNING_KEY": KEY}))
    try:
        import_csv(ctx, csv_path)
        with ctx.store.connect() as db:
            return dict(db.execute(select(subscribers.c.email, subscribers.c.id)).all())
    finally:
        ctx.close()


@contextmanager
def server(config: Path) -> Iterator[tuple[str, int]]:
    env = {**os.environ, "VARCOMMS_SIGNING_KEY": KEY, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from varcomms.cli.main import main; main()"]
    process = subprocess.Popen(
        [*command, "--config", str(config), "serve", "--port", "0", "--threads", "8"],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = re.search(r"http://([\d.]+):(\d+)", process.stdout.readline())
        assert found, "the server did not start"
        yield found.group(1), int(found.group(2))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def request(address: tuple[str, int], method: str, path: str, body: str | None = None) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path[:20]}…: {response.status}")
    finally:
        connection.close()
    return time.perf_counter() - started


def run(postgres: str | None, people: int, clicks: int, pages: int, clients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database(postgres, Path(tmp)) as url:
        folder = Path(tmp)
        config = config_file(folder, url)
        ids = populate(config, folder, people)
        signer = TokenSigner(KEY)
        emails = sorted(ids)
        one_click = [
            "/afmelden/" + signer.sign("unsubscribe", e, subscriber_id=ids[e], edition_id="b")
            for e in emails[:clicks]
        ]
        preference_pages = [
            "/voorkeuren/" + signer.sign("preferences", e, subscriber_id=ids[e])
            for e in emails[clicks : clicks + pages]
        ]
        with server(config) as address:
            request(address, "GET", "/healthz")
            with ThreadPoolExecutor(max_workers=clients) as pool:
                started = time.perf_counter()
                list(
                    pool.map(
                        lambda p: request(address, "POST", p, "List-Unsubscribe=One-Click"),
                        one_click,
                    )
                )
                elapsed = time.perf_counter() - started
            with ThreadPoolExecutor(max_workers=4) as pool:
                latencies = sorted(pool.map(lambda p: request(address, "GET", p), preference_pages))
        backend = "PostgreSQL" if postgres else "SQLite"
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"{backend}: {clicks} one-click unsubscribes with {clients} clients in {elapsed:.2f} s"
            f" = {clicks / elapsed:.0f}/s; preference page ({pages} GETs, 4 clients): "
            f"p50 {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="admin URL; a fresh database is made and dropped")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    run(args.postgres, args.people, args.clicks, args.pages, args.clients)


if __name__ == "__main__":
    main()
