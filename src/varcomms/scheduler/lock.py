"""One scheduler per database: a lock the database (or the file system beside it) holds.

APScheduler cannot share a job store between processes: two schedulers would run every
job twice. So ``scheduler run`` takes a PostgreSQL advisory lock on a connection it
keeps open, or an ``flock`` on ``<database>.scheduler.lock`` beside a SQLite file. The
server or the kernel releases either when the process dies, so a standby
(``--standby``) takes over at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from varcomms.errors import StateError
from varcomms.store import Store

_KEY = int.from_bytes(hashlib.sha256(b"varcomms-scheduler").digest()[:8], "big", signed=True)


def _busy() -> StateError:
    return StateError(
        "another scheduler is running against this database; this one does not act",
        hint="stop the other one first, or start this one with --standby to take over "
        "when it stops",
    )


def lock_path(store: Store) -> Path | None:
    database = store.engine.url.database
    if store.dialect != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database)
    return path.with_name(f"{path.name}.scheduler.lock")


@contextmanager
def scheduler_lock(
    store: Store,
    *,
    wait: bool = False,
    stop: threading.Event | None = None,
    poll_seconds: float = 2.0,
) -> Iterator[None]:
    """Hold the scheduler lock; raise StateError when taken, or wait for it (standby)."""
    stop = stop or threading.Event()
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            while True:
                taken = connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": _KEY}
                ).scalar()
                connection.commit()
                if taken:
                    break
                if not wait:
                    raise _busy()
                if stop.wait(poll_seconds):
                    raise StopWaiting
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _KEY})
                connection.commit()
        return
    path = lock_path(store)
    if path is None:
        yield  # an in-memory database no other process can reach
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise _busy() from None
                if stop.wait(poll_seconds):
                    raise StopWaiting from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class StopWaiting(Exception):  # noqa: N818
    """A standby was told to stop before it got the lock."""
