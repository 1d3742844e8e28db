"""A real SMTP server on loopback (aiosmtpd) that records what it receives."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class Sink:
    """Handler: refuses addresses containing "weiger" (550), defers "later" once (451)."""

    received: list[Received] = field(default_factory=list)
    deferred: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if "weiger" in address:
            return "550 5.1.1 mailbox unavailable"
        if "later" in address and self.deferred[address] == 0:
            self.deferred[address] += 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"


def authenticator(user: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == user
            and (data.password.decode() == password)
        )
        return AuthResult(success=ok, handled=False)

    return check


def start(sink: Sink, *, user: str | None = None, password: str | None = None) -> Controller:
    options: dict[str, Any] = {}
    if user is not None and password is not None:
        options = {"authenticator": authenticator(user, password), "auth_require_tls": False}
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller
