"""One real send of an edition at a time, across processes.

The ledger already makes a second message for the same person impossible to *record*,
but two processes that both see a row ``pending`` could both hand it to the provider.
So a real send holds a lock for its whole run: a PostgreSQL advisory lock on a
connection kept open, or an ``flock`` on a file beside the SQLite database. Both are
released by the operating system or the server when the process dies, so a send killed
with SIGKILL can be resumed at once.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from varcomms.errors import StateError
from varcomms.store import Store


def _busy(edition_id: str) -> StateError:
    return StateError(
        f"edition {edition_id!r} is being sent by another process right now",
        hint=f"wait for it to finish; `varcomms send status {edition_id}` shows its progress",
    )


def _advisory_key(edition_id: str) -> int:
    digest = hashlib.sha256(f"varcomms-send:{edition_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def send_lock(store: Store, edition_id: str) -> Iterator[None]:
    """Hold the edition's send lock, or raise StateError at once if another has it."""
    if store.engine.dialect.name == "postgresql":
        key = _advisory_key(edition_id)
        with store.engine.connect() as connection:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()  # the lock is the session's; no transaction stays open
            if not taken:
                raise _busy(edition_id)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        return
    database = store.engine.url.database
    if not database or database == ":memory:":
        yield  # a private in-memory database: no other process can reach it
        return
    path = Path(database).with_name(f"{Path(database).name}.send-{edition_id}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(edition_id) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
