"""Benchmark: webhook events ingested per second on loopback, SQLite and PostgreSQL.

A real HTTP server (werkzeug, threaded) runs the webhook blueprint in this process's
thread; a client posts (a) single Mailgun events, each signed with a fresh token, and
(b) SendGrid-style signed batches of 1,000 events. Every event is verified, stored once
and tied to a 20,000-row send ledger, so the figure includes the work a real webhook does.

    uv run python benchmarks/bench_events.py [--postgres URL] [--singles 1000] [--batches 10]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from sqlalchemy import make_url, text
from werkzeug.serving import make_server

from varcomms.clock import FakeClock
from varcomms.config import load_config, load_secrets
from varcomms.context import Context
from varcomms.events.blueprint import webhooks_blueprint
from varcomms.store import Store
from varcomms.store.schema import deliveries, sends

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2022, 2, 1, 9, 10, tzinfo=UTC)
PEOPLE = 20_000
MAILGUN_KEY = "bench-mailgun-key"


def database(postgres: str | None, folder: Path) -> str:
    if not postgres:
        return f"sqlite:///{folder / 'bench.db'}"
    name = f"bench_events_{uuid.uuid4().hex[:8]}"
    admin = make_url(postgres).set(drivername="postgresql+psycopg")
    from sqlalchemy import create_engine

    with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as db:
        db.execute(text(f'CREATE DATABASE "{name}"'))
    return admin.set(database=name).render_as_string(hide_password=False)


def ledger(store: Store) -> None:
    with store.engine.begin() as db:
        db.execute(
            sends.insert().values(
                id="s1",
                edition_id="2022-01",
                provider="mailgun",
                is_test=False,
                status="finished",
                created_at=NOW,
                finished_at=NOW,
            )
        )
        db.execute(
            deliveries.insert(),
            [
                {
                    "send_id": "s1",
                    "edition_id": "2022-01",
                    "recipient_key": f"r{i}@example.org",
                    "email": f"r{i}@example.org",
                    "variant": "algemeen",
                    "state": "sent",
                    "message_id": f"<2022-01.{i:08d}@example.org>",
                    "updated_at": NOW,
                }
                for i in range(PEOPLE)
            ],
        )


def mailgun_body(i: int) -> bytes:
    stamp, token = str(int(NOW.timestamp())), uuid.uuid4().hex + uuid.uuid4().hex[:18]
    signature = hmac.new(MAILGUN_KEY.encode(), (stamp + token).encode(), hashlib.sha256)
    return json.dumps(
        {
            "signature": {"timestamp": stamp, "token": token, "signature": signature.hexdigest()},
            "event-data": {
                "id": f"mg{i}",
                "event": "opened",
                "timestamp": NOW.timestamp(),
                "recipient": f"r{i % PEOPLE}@example.org",
                "message": {"headers": {"message-id": f"2022-01.{i % PEOPLE:08d}@example.org"}},
            },
        }
    ).encode()


def sendgrid_batch(batch: int, size: int) -> bytes:
    return json.dumps(
        [
            {
                "email": f"r{(batch * size + i) % PEOPLE}@example.org",
                "timestamp": int(NOW.timestamp()),
                "event": "click",
                "url": "https://veiligheidsalliantie.nl/x",
                "sg_event_id": f"sg{batch}-{i}",
                "smtp-id": f"<2022-01.{(batch * size + i) % PEOPLE:08d}@example.org>",
            }
            for i in range(size)
        ]
    ).encode()


def run(postgres: str | None, singles: int, batches: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = database(postgres, Path(folder))
        store = Store.open(url)
        ledger(store)
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        secrets = load_secrets(
            {
                "VARCOMMS_MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
                "VARCOMMS_SENDGRID_WEBHOOK_PUBLIC_KEY": base64.b64encode(public).decode(),
            }
        )
        ctx = Context(
            config=load_config(ROOT / "varcomms.toml"), secrets=secrets, clock=FakeClock(NOW)
        )
        ctx.__dict__["store"] = store
        app = Flask(__name__)
        app.register_blueprint(webhooks_blueprint(lambda: ctx))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}/webhooks"
        session = requests.Session()
        bodies = [mailgun_body(i) for i in range(singles)]
        start = time.perf_counter()
        for body in bodies:
            answer = session.post(f"{base}/mailgun", data=body, timeout=30)
            assert answer.status_code == 200, answer.text
        single = time.perf_counter() - start
        signed = []
        for batch in range(batches):
            body = sendgrid_batch(batch, 1000)
            stamp = str(int(NOW.timestamp()))
            signature = private.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
            signed.append((body, stamp, base64.b64encode(signature).decode()))
        start = time.perf_counter()
        for body, stamp, signature in signed:
            answer = session.post(
                f"{base}/sendgrid",
                data=body,
                timeout=60,
                headers={
                    "X-Twilio-Email-Event-Webhook-Signature": signature,
                    "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
                },
            )
            assert answer.status_code == 200 and answer.json()["stored"] == 1000, answer.text
        batched = time.perf_counter() - start
        server.shutdown()
        store.close()
    kind = "postgresql" if postgres else "sqlite"
    print(f"{kind}: single Mailgun events: {singles / single:,.0f} events/s ({singles} posts)")
    print(
        f"{kind}: SendGrid batches of 1,000: {batches * 1000 / batched:,.0f} events/s "
        f"({batches} posts, {batched / batches * 1000:.0f} ms per batch)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--singles", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=10)
    arguments = parser.parse_args()
    run(arguments.postgres, arguments.singles, arguments.batches)
