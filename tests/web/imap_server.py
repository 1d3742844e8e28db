"""A small IMAP4rev1 server on loopback for tests: just what a mailbox reader uses.

It speaks the real protocol to :mod:`imaplib` (greeting, CAPABILITY, LOGIN, SELECT,
UID SEARCH, UID FETCH with a literal, UID STORE, CLOSE, LOGOUT) over a socket, for one
folder held in memory. No TLS: the reader is pointed at it with ``tls=False``.
"""

from __future__ import annotations

import shlex
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    user: str
    password: str
    messages: list[bytes] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)  # UIDs (1-based positions)
    logins: int = 0


def _handler(box: Mailbox) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def send(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.send("* OK IMAP4rev1 test server ready")
            authenticated = False
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
                words = shlex.split(rest)
                command = words[0].upper() if words else ""
                if command == "UID" and len(words) > 1:
                    command, words = "UID " + words[1].upper(), words[1:]
                if command == "CAPABILITY":
                    self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                elif command == "LOGIN":
                    if words[1:3] != [box.user, box.password]:
                        self.send(f"{tag} NO [AUTHENTICATIONFAILED] wrong user or password")
                        continue
                    box.logins += 1
                    authenticated = True
                elif not authenticated and command != "LOGOUT":
                    self.send(f"{tag} BAD log in first")
                    continue
                elif command == "SELECT":
                    self.send(f"* {len(box.messages)} EXISTS")
                    self.send("* FLAGS (\\Seen)")
                elif command == "UID SEARCH":
                    unseen = [
                        str(uid) for uid in range(1, len(box.messages) + 1) if uid not in box.seen
                    ]
                    self.send("* SEARCH " + " ".join(unseen) if unseen else "* SEARCH")
                elif command == "UID FETCH":
                    uid = int(words[1])
                    body = box.messages[uid - 1]
                    self.wfile.write(
                        f"* {uid} FETCH (UID {uid} BODY[] {{{len(body)}}}\r\n".encode()
                        + body
                        + b")\r\n"
                    )
                elif command == "UID STORE":
                    box.seen.add(int(words[1]))
                    self.send(f"* {words[1]} FETCH (UID {words[1]} FLAGS (\\Seen))")
                elif command == "LOGOUT":
                    self.send("* BYE logging out")
                    self.send(f"{tag} OK LOGOUT completed")
                    return
                elif command not in ("CLOSE", "NOOP"):
                    self.send(f"{tag} BAD unknown command {command}")
                    continue
                self.send(f"{tag} OK {command} completed")

    return Handler


@contextmanager
def imap_server(box: Mailbox) -> Iterator[int]:
    """Serve ``box`` on a free loopback port; yields the port."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
