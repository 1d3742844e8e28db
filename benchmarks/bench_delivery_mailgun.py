"""Benchmark 2: 100,000 recipients through the Mailgun adapter, ledger included.

A loopback HTTP server in a separate process stands in for Mailgun's API (it reads each
multipart request in full and answers as Mailgun does). The send runs the real path:
SQLite ledger (claim, in flight, outcome), signed tokens, recipient-variables, 1,000 per
request, two concurrent requests. Goal: under 30 s wall and under 400 MB peak memory.

    uv run python benchmarks/bench_delivery_mailgun.py [--recipients 100000] [--default-rate]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_delivery_common import context, peak_rss_mb, recipients, sample_variant

from varcomms.delivery import deliver, send_status


class FakeMailgun(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counter = 0

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        assert b'name="recipient-variables"' in body
        FakeMailgun.counter += 1
        answer = json.dumps(
            {"id": f"<bench.{FakeMailgun.counter}@mg.example>", "message": "Queued. Thank you."}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


def serve(port_queue: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMailgun)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def run(count: int, *, default_rate: bool = False) -> None:
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    server.start()
    port = queue.get(timeout=10)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ctx = context(Path(tmp), rate=None if default_rate else 1e9, name="mailgun")
            mailgun = ctx.config.provider.mailgun.model_copy(
                update={"base_url": f"http://127.0.0.1:{port}"}
            )
            provider = ctx.config.provider.model_copy(update={"mailgun": mailgun})
            ctx.config = ctx.config.model_copy(update={"provider": provider})
            variants = {"algemeen": sample_variant()}
            start = time.perf_counter()
            report = deliver(
                ctx, edition_id="2022-02", variants=variants, recipients=recipients(count)
            )
            elapsed = time.perf_counter() - start
            states = send_status(ctx, "2022-02").states
            ctx.close()
    finally:
        server.terminate()
    assert report.sent == count and states == {"sent": count}, (report, states)
    limit = "shipped default rate" if default_rate else "rate limit lifted"
    print(f"{count} recipients via Mailgun adapter (loopback), SQLite ledger, {limit}")
    print(
        f"wall {elapsed:.1f} s = {count / elapsed:,.0f} recipients/s; "
        f"peak memory {peak_rss_mb():.0f} MB (this process)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument(
        "--default-rate",
        action="store_true",
        help="keep the shipped rate limit (requests per second for a batch API)",
    )
    arguments = parser.parse_args()
    run(arguments.recipients, default_rate=arguments.default_rate)
