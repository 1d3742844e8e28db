"""A Mailgun-compatible fake on loopback that misbehaves on purpose.

It speaks the two endpoints the send path uses, as Mailgun documents them:
``POST /v3/{domain}/messages`` (multipart form, ``recipient-variables``) and
``GET /v3/{domain}/events`` (``accepted`` events with the recipient, the Message-Id and
the ``v:`` variables). Faults are drawn from a seeded generator per request:

- 429 with ``Retry-After`` (not accepted);
- a TCP reset after reading the request, before processing it (not accepted);
- accepted, then answered 500 (a gateway error after acceptance);
- accepted, then a reset instead of an answer;
- a 400 for any batch that holds the one bad address.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Faults:
    rate_limited: float = 0.12
    reset_before: float = 0.06
    error_after: float = 0.08
    reset_after: float = 0.06
    bad_address: str | None = None


@dataclass
class FakeMailgun:
    faults: Faults
    seed: int = 1
    accepted: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)  # in any request that reached us
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    served: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake.post(self)

            def do_GET(self) -> None:
                fake.get(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeMailgun:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- endpoints -----------------------------------------------------------------------

    def post(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            roll = self.rng.random()
        f = self.faults
        if roll < f.rate_limited:
            handler.rfile.read(int(handler.headers["Content-Length"]))
            self.served["429"] += 1
            return self.answer(handler, 429, {"message": "Too many requests"}, retry_after="1")
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        variables = recipient_variables(body)
        with self.lock:
            self.seen.update(variables)
        if roll < f.rate_limited + f.reset_before:
            # Received, not processed: the client cannot tell this from a reset after
            # acceptance, so these rows are held until the events log settles them.
            self.served["reset before"] += 1
            return self.reset(handler)
        if f.bad_address and f.bad_address in variables:
            self.served["400"] += 1
            message = "to parameter is not a valid address. please check documentation"
            return self.answer(handler, 400, {"message": message})
        edition = form_value(body, "v:varcomms-edition")
        with self.lock:
            for address, values in variables.items():
                self.accepted[address] += 1
                self.events.setdefault(address, []).append(
                    {
                        "event": "accepted",
                        "recipient": address,
                        "message": {"headers": {"message-id": values["message_id"].strip("<>")}},
                        "user-variables": {"varcomms-edition": edition},
                    }
                )
        roll -= f.rate_limited + f.reset_before
        if roll < f.error_after:
            self.served["500 after"] += 1
            return self.answer(handler, 500, {"message": "Internal Server Error"})
        if roll < f.error_after + f.reset_after:
            self.served["reset after"] += 1
            return self.reset(handler)
        self.served["200"] += 1
        self.answer(handler, 200, {"id": "<fake@mg>", "message": "Queued. Thank you."})

    def get(self, handler: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlparse(handler.path).query)
        recipient = query.get("recipient", [""])[0]
        with self.lock:
            items = list(self.events.get(recipient, []))
        self.served["events"] += 1
        self.answer(handler, 200, {"items": items, "paging": {}})

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def answer(
        handler: BaseHTTPRequestHandler, status: int, body: Any, retry_after: str | None = None
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        if retry_after:
            handler.send_header("Retry-After", retry_after)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def reset(handler: BaseHTTPRequestHandler) -> None:
        """Close with a TCP RST (linger 0) and answer nothing."""
        connection: socket.socket = handler.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()
        handler.wfile = _Discard()  # type: ignore[assignment]


class _Discard:
    closed = False

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def form_value(body: bytes, name: str) -> str:
    marker = f'name="{name}"\r\n\r\n'.encode()
    start = body.index(marker) + len(marker)
    return body[start : body.index(b"\r\n--", start)].decode()


def recipient_variables(body: bytes) -> dict[str, dict[str, str]]:
    return json.loads(form_value(body, "recipient-variables"))
