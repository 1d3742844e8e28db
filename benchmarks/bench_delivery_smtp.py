"""Benchmark 3: messages per second over SMTP into a local aiosmtpd sink.

The sink runs in its own process (so its work does not share our interpreter) and
accepts everything. The send runs the real path: ledger, personalisation, MIME built
with MimeTemplate, a pool of two reused SMTP connections.

    uv run python benchmarks/bench_delivery_smtp.py [--messages 3000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_delivery_common import context, peak_rss_mb, recipients, sample_variant

from varcomms.delivery import deliver


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def serve(port: int) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        time.sleep(3600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP sink did not start")


def run(count: int) -> None:
    port = free_port()
    sink = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    sink.start()
    wait_for(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ctx = context(Path(tmp), name="smtp")
            smtp = ctx.config.provider.smtp.model_copy(
                update={"host": "127.0.0.1", "port": port, "security": "none", "pool_size": 2}
            )
            provider = ctx.config.provider.model_copy(update={"smtp": smtp})
            ctx.config = ctx.config.model_copy(update={"provider": provider})
            variants = {"algemeen": sample_variant()}
            start = time.perf_counter()
            cpu = time.process_time()
            report = deliver(
                ctx, edition_id="2022-02", variants=variants, recipients=recipients(count)
            )
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            ctx.close()
    finally:
        sink.terminate()
    assert report.sent == count, report
    print(f"{count} messages (~100 KB each) over SMTP to a loopback aiosmtpd sink, 2 connections")
    print(
        f"wall {elapsed:.1f} s = {count / elapsed:,.0f} messages/s; "
        f"peak memory {peak_rss_mb():.0f} MB (this process)"
    )
    # aiosmtpd is pure Python: the sink, not the sender, is usually the bound here.
    print(f"sender CPU {cpu:.1f} s = {count / cpu:,.0f} messages per CPU-second")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    run(parser.parse_args().messages)
