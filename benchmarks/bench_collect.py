"""Benchmark: collect 50 feeds of 50 items each from a loopback server, cold then warm.

The cold run fetches, parses, sanitises and stores 2,500 items; the warm run sends the
stored ETag/Last-Modified back and every feed answers 304; the last run is warm on a
server that ignores validators (200, the same bytes: every item unchanged). Run with

    uv run python benchmarks/bench_collect.py [--feeds 50] [--items 50] [--repeat 3]

It prints the wall time of each run (best and median of ``--repeat`` fresh databases).
Goals (issue 13): the cold run under 5 s; warm (304) at least 5x faster than cold.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

from rich.console import Console

from varcomms import sources
from varcomms.config import SourceConfig, load_config
from varcomms.context import Context

ROOT = Path(__file__).resolve().parents[1]
MODIFIED = formatdate(1_643_000_000, usegmt=True)


def make_feed(number: int, items: int) -> bytes:
    entries = []
    for n in range(items):
        entries.append(
            f"""<item>
  <title>Bericht {n} van partner {number}: aanpak van ondermijning en cybercriminaliteit</title>
  <link>https://partner{number}.example.nl/nieuws/bericht-{n}/</link>
  <guid isPermaLink="false">https://partner{number}.example.nl/?p={n}</guid>
  <pubDate>Mon, {1 + n % 28:02d} Jan 2022 09:{n % 60:02d}:00 +0000</pubDate>
  <category>Cyber</category><category>Ondermijning</category>
  <description><![CDATA[Een korte samenvatting van bericht {n}. [&#8230;]]]></description>
  <content:encoded><![CDATA[<p>Gemeenten, politie en OM werken samen tegen
  <strong>ondermijning</strong>. Dit is alinea een van bericht {n},
  met een <a href="/kennisbank/{n}/">link</a>.</p>
  <p><img src="/wp-content/uploads/2022/01/beeld-{n}.jpg" alt="Beeld {n}"></p>
  <p>Een tweede alinea over phishing, geldezels en HackShield voor jongeren.</p>
  <script>track({n});</script>]]></content:encoded>
  <enclosure url="/wp-content/uploads/2022/01/groot-{n}.jpg" length="1000" type="image/jpeg"/>
</item>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Partner {number}</title><link>https://partner{number}.example.nl/</link>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


class Server:
    def __init__(self, feeds: dict[str, bytes]) -> None:
        self.hits = {"200": 0, "304": 0}
        self.honour_validators = True
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                body = feeds[self.path]
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if server.honour_validators and self.headers.get("If-None-Match") == etag:
                    server.hits["304"] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                server.hits["200"] += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", MODIFIED)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def one_round(server: Server, names: list[str], folder: Path) -> tuple[float, float, float, int]:
    config = load_config(ROOT / "varcomms.toml")
    configured = tuple(
        SourceConfig(name=name, kind="rss", url=f"{server.base}/{name}.xml") for name in names
    )
    config = config.model_copy(
        update={
            "paths": config.paths.model_copy(update={"data": folder}),
            "sources": configured,
        }
    )
    ctx = Context(config=config, console=Console(file=StringIO()))
    try:
        ctx.store  # noqa: B018 - create and migrate the database outside the timing
        started = time.perf_counter()
        cold = sources.collect(ctx)
        cold_seconds = time.perf_counter() - started
        assert cold.ok and cold.new == sum(1 for _ in names) * ITEMS, cold.to_dict()
        started = time.perf_counter()
        warm = sources.collect(ctx)
        warm_seconds = time.perf_counter() - started
        statuses = {line.status.value for line in warm.sources}
        assert statuses == {"not-modified"}, statuses
        server.honour_validators = False
        try:
            started = time.perf_counter()
            again = sources.collect(ctx)
            again_seconds = time.perf_counter() - started
        finally:
            server.honour_validators = True
        assert (again.new, again.updated, again.unchanged) == (0, 0, cold.new), again.to_dict()
        return cold_seconds, warm_seconds, again_seconds, cold.new
    finally:
        ctx.close()


ITEMS = 50


def main() -> None:
    global ITEMS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ITEMS = args.items
    names = [f"partner-{n:02d}" for n in range(args.feeds)]
    server = Server({f"/{name}.xml": make_feed(n, args.items) for n, name in enumerate(names)})
    colds, warms, agains = [], [], []
    try:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                cold, warm, again, items = one_round(server, names, Path(folder))
                colds.append(cold)
                warms.append(warm)
                agains.append(again)
    finally:
        server.stop()
    cold, warm, again = min(colds), min(warms), min(agains)
    print(f"collect {args.feeds} feeds x {args.items} items ({items} items) from {server.base}")
    print(f"  cold (200, parse, sanitise, store): best {cold:.3f} s  "
          f"median {statistics.median(colds):.3f} s")  # fmt: skip
    print(f"  warm (all 304):                     best {warm:.3f} s  "
          f"median {statistics.median(warms):.3f} s")  # fmt: skip
    print(f"  warm (200, same bytes, unchanged):  best {again:.3f} s  "
          f"median {statistics.median(agains):.3f} s")  # fmt: skip
    print(f"  cold goal: < 5 s — {'met' if statistics.median(colds) < 5 else 'NOT met'}")
    print(f"  warm is {cold / warm:.1f}x faster (goal: >= 5x)")
    print(f"  server answered {server.hits['200']} x 200 and {server.hits['304']} x 304")


if __name__ == "__main__":
    main()
