"""Link checking against a real HTTP server on loopback."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from varcomms.context import Context
from varcomms.editions import lint_edition
from varcomms.editions.links import check_links


class _Server(ThreadingHTTPServer):
    # Room for every concurrent connect: a full backlog drops SYNs, retried after 1 s.
    request_queue_size = 64


class Site:
    """A tiny site: 404 for 'hackshield', no HEAD for 'leerhuis', never answers 'geldezels',
    and two pages ('jaarverslag', 'juridisch') that only answer once both are asked."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str]] = Counter()
        self.release = threading.Event()
        self.together = threading.Barrier(2, timeout=5)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(self, method: str) -> None:
                site.requests[(method, self.path)] += 1
                status = 200
                if "hackshield" in self.path:
                    status = 404
                elif "leerhuis" in self.path and method == "HEAD":
                    status = 405
                elif "geldezels" in self.path:
                    site.release.wait(5)
                elif "jaarverslag" in self.path or "juridisch" in self.path:
                    try:
                        site.together.wait()
                    except threading.BrokenBarrierError:
                        status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                self.answer("HEAD")

            def do_GET(self) -> None:
                self.answer("GET")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site()
    yield running
    running.close()


def point_links_at(sample: Path, base: str) -> None:
    for path in sample.glob("*.md"):
        text = path.read_text()
        text = "".join(
            line
            for line in text.splitlines(keepends=True)
            if not line.startswith(("image:", "alt:"))
        )
        path.write_text(text.replace("https://veiligheidsalliantie.nl", base))


def test_lint_checks_every_link_once_concurrently(ctx: Context, sample: Path, site: Site) -> None:
    point_links_at(sample, site.base)
    # Every link is on one host here; allow enough requests to it at once.
    collect = ctx.config.collect.model_copy(update={"per_host": 4})
    ctx.config = ctx.config.model_copy(update={"collect": collect})
    report = lint_edition(ctx, "2022-01", check_links=True, link_timeout=1.0)
    assert report.links_checked == 14  # 13 item links and one .ics
    broken = [f for f in report.findings if f.code == "link-broken"]
    assert [(f.file, f.line) for f in broken] == [("nieuws.md", 14)]
    assert "HTTP 404" in broken[0].message
    (slow,) = [f for f in report.findings if f.code == "link-timeout"]
    assert slow.severity == "warning" and slow.file == "kennis.md"
    # The two pages that wait for each other were asked at the same time.
    assert not [f for f in report.findings if "HTTP 500" in f.message]
    leerhuis = "/nieuws/leerhuis-cyber-12-juli-2021/"
    assert site.requests[("HEAD", leerhuis)] == 1 and site.requests[("GET", leerhuis)] == 1
    assert all(count == 1 for count in site.requests.values())


def test_check_links_reports_refused_connections(site: Site) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    dead = f"http://127.0.0.1:{closed.server_address[1]}/weg"
    closed.server_close()
    results = check_links([f"{site.base}/ok", f"{site.base}/ok", dead, "mailto:a@b.nl"], timeout=2)
    assert set(results) == {f"{site.base}/ok", dead}
    assert results[f"{site.base}/ok"].outcome == "ok"
    assert results[dead].outcome == "broken" and results[dead].detail == "ConnectionError"
    assert site.requests[("HEAD", "/ok")] == 1


def test_requests_to_one_host_are_limited(site: Site) -> None:
    """With one request per host, the two pages that wait for each other cannot both be
    asked in time: the first waits in vain (the second is asked only after it gave up)."""
    urls = [f"{site.base}/jaarverslag", f"{site.base}/juridisch"]
    results = check_links(urls, timeout=0.5, per_host=1)
    assert sorted(r.outcome for r in results.values()) == ["ok", "timeout"]
    assert check_links(urls, timeout=2, per_host=2)[urls[0]].outcome == "ok"
