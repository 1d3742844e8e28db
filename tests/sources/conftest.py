"""Fixtures for the collect stage: a real HTTP server on loopback, contexts with sources."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from varcomms.config import SourceConfig
from varcomms.context import Context

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answer 304 when the client sends it back
    last_modified: str | None = None  # answer 304 when the client sends it back
    redirect_to: str | None = None
    fail_first: int = 0  # answer 503 this many times first
    stall: str | None = None  # "headers": hang before answering; "body": hang mid-body
    # Send the body one byte at a time, this many seconds apart (a trickling server).
    trickle: float | None = None
    # Send exactly these bytes after the status line (headers and body, as given).
    raw: bytes | None = None
    hits: int = 0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class FeedServer:
    """ThreadingHTTPServer on 127.0.0.1, port 0; routes are set by the test."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.release = threading.Event()  # ends every stall at teardown
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                route.hits += 1
                if route.stall == "headers":
                    server.release.wait(10)
                    return
                if route.raw is not None:
                    self.wfile.write(f"HTTP/1.1 {route.status} X\r\n".encode() + route.raw)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if route.hits <= route.fail_first:
                    retry = {k: v for k, v in route.headers.items() if k == "Retry-After"}
                    self._send(503, b"busy", {"Content-Type": "text/plain", **retry})
                    return
                if route.redirect_to:
                    self._send(route.status, b"", {"Location": route.redirect_to})
                    return
                headers = dict(route.headers)
                if route.content_type:
                    headers["Content-Type"] = route.content_type
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                # RFC 9110: If-None-Match, when sent, decides; If-Modified-Since otherwise.
                sent_etag = self.headers.get("If-None-Match")
                if (sent_etag is not None and sent_etag == route.etag) or (
                    sent_etag is None
                    and route.last_modified
                    and self.headers.get("If-Modified-Since") == route.last_modified
                ):
                    self._send(304, b"", headers)
                    return
                if route.stall == "body":
                    self.send_response(route.status)
                    self.send_header("Content-Length", str(len(route.body) + 100))
                    self.end_headers()
                    self.wfile.write(route.body[:10])
                    self.wfile.flush()
                    server.release.wait(10)
                    return
                if route.trickle is not None:
                    self.send_response(route.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    for byte in route.body:
                        # Ends at teardown (release), or when the client hangs up.
                        if server.release.wait(route.trickle):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                self._send(route.status, route.body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, **kwargs: Any) -> str:
        self.routes[path] = Route(**kwargs)
        return self.url(path)

    def requests_for(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


def with_sources(ctx: Context, *sources: SourceConfig, **collect: Any) -> Context:
    """The context with exactly these sources (and collect settings changed)."""
    settings = ctx.config.collect.model_copy(update=collect) if collect else ctx.config.collect
    ctx.config = ctx.config.model_copy(update={"sources": sources, "collect": settings})
    return ctx


def source(name: str, kind: str = "rss", **kwargs: Any) -> SourceConfig:
    return SourceConfig(name=name, kind=kind, **kwargs)
