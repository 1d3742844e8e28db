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
from varcomms.editions.addresses import IPAddress
from varcomms.editions.links import check_links


def loopback(address: IPAddress) -> bool:
    """The tests' stand-in for "public": their server runs on loopback."""
    return address.is_loopback


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
    report = lint_edition(
        ctx, "2022-01", check_links=True, link_timeout=1.0, link_addresses=loopback
    )
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
    urls = [f"{site.base}/ok", f"{site.base}/ok", dead, "mailto:a@b.nl"]
    results = check_links(urls, timeout=2, allow=loopback)
    assert set(results) == {f"{site.base}/ok", dead}
    assert results[f"{site.base}/ok"].outcome == "ok"
    assert results[dead].outcome == "broken" and results[dead].detail == "ConnectionError"
    assert site.requests[("HEAD", "/ok")] == 1


def test_requests_to_one_host_are_limited(site: Site) -> None:
    """With one request per host, the two pages that wait for each other cannot both be
    asked in time: the first waits in vain (the second is asked only after it gave up)."""
    urls = [f"{site.base}/jaarverslag", f"{site.base}/juridisch"]
    results = check_links(urls, timeout=0.5, per_host=1, allow=loopback)
    assert sorted(r.outcome for r in results.values()) == ["ok", "timeout"]
    assert check_links(urls, timeout=2, per_host=2, allow=loopback)[urls[0]].outcome == "ok"


# -- F20: never a request to a local or private address; U8: links in the text too ------


class Recorder:
    """A listener that records every request it gets (it should get none)."""

    def __init__(self, host: str = "127.0.0.1", redirect_to: str | None = None) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def answer(self) -> None:
                recorder.paths.append(self.path)
                if redirect_to is not None:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET = answer  # noqa: N815

        self.server = _Server((host, 0), Handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.close()


LOCAL_TARGETS = [
    "http://127.0.0.1:{port}/internal-admin?delete=all",
    "http://localhost:{port}/internal-admin?delete=all",
    "http://[::ffff:127.0.0.1]:{port}/internal-admin",
    "http://127.1:{port}/internal-admin",
    "http://2130706433:{port}/internal-admin",  # 127.0.0.1 as one number
    "http://0.0.0.0:{port}/internal-admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[::1]:{port}/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("template", LOCAL_TARGETS)
def test_f20_local_and_private_addresses_are_never_requested(
    internal: Recorder, template: str
) -> None:
    port = internal.server.server_address[1]
    url = template.format(port=port)
    (result,) = check_links([url], timeout=2).values()
    assert result.outcome == "private", result
    assert internal.paths == []


def test_f20_a_redirect_to_a_private_address_is_not_followed() -> None:
    """127.0.0.1 plays the public site; it redirects to 127.0.0.2, which is 'private'."""
    target = Recorder("127.0.0.2")
    front = Recorder("127.0.0.1", redirect_to=f"{target.base}/internal-admin?delete=all")
    try:
        only_first = lambda address: str(address) == "127.0.0.1"  # noqa: E731
        (result,) = check_links([f"{front.base}/nieuws"], timeout=2, allow=only_first).values()
        assert result.outcome == "private" and "127.0.0.2" in result.detail
        assert front.paths == ["/nieuws"] and target.paths == []
    finally:
        front.close()
        target.close()


def test_f20_lint_reports_a_private_link_without_requesting_it(
    ctx: Context, sample: Path, internal: Recorder
) -> None:
    nieuws = sample / "nieuws.md"
    url = f"{internal.base}/internal-admin?delete=all"
    nieuws.write_text(
        nieuws.read_text().replace(
            "https://veiligheidsalliantie.nl/nieuws/jaarverslag-2021-jaarplan-2022/", url
        )
    )
    for path in sample.glob("*.md"):  # no other request may leave the machine
        path.write_text(
            path.read_text().replace("https://veiligheidsalliantie.nl", "https://10.9.9.9")
        )
    report = lint_edition(ctx, "2022-01", check_links=True, link_timeout=1.0)
    private = [f for f in report.findings if f.code == "link-private"]
    assert ("nieuws.md", 5) in [(f.file, f.line) for f in private]
    assert all(f.severity == "error" for f in private)
    assert not [f for f in report.findings if f.code in ("link-broken", "link-timeout")]
    assert internal.paths == []


def test_u8_links_inside_the_text_are_checked(ctx: Context, sample: Path, site: Site) -> None:
    point_links_at(sample, site.base)
    intro = sample / "intro.md"
    intro.write_text(
        intro.read_text() + f"\nZie ook [de HackShield-pagina]({site.base}/tekst/hackshield) en "
        f"[het overzicht]({site.base}/tekst/overzicht).\n"
    )
    riec = sample / "riec.md"
    riec.write_text(
        riec.read_text().replace(
            "U vindt het in het",
            f'U vindt het in <a href="{site.base}/riec-tekst/hackshield">het</a>',
        )
    )
    report = lint_edition(
        ctx, "2022-01", check_links=True, link_timeout=2.0, link_addresses=loopback
    )
    assert report.links_checked == 17
    broken = {(f.file, f.line) for f in report.findings if f.code == "link-broken"}
    intro_line = len(intro.read_text().splitlines())
    assert ("intro.md", intro_line) in broken
    assert ("riec.md", 6) in broken  # the item that holds the link
    assert site.requests[("HEAD", "/tekst/overzicht")] == 1
