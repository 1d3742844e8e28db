"""Rate limits kept in the database, so every app process counts the same requests.

A fixed window per bucket: one row per (bucket, window start) holding a hit count,
incremented with a single upsert. The bucket is a keyed hash of what is limited (a
client address, a mail address): the table holds no personal data in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from varcomms.store import Store
from varcomms.store.schema import rate_limits


class RateLimiter:
    def __init__(self, store: Store, secret: bytes, window: timedelta) -> None:
        self._store = store
        self._secret = secret
        self._window = window

    def bucket(self, kind: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{kind}\x00{value}".encode(), hashlib.sha256)
        return f"{kind}:{digest.hexdigest()[:40]}"

    def window_start(self, now: datetime) -> datetime:
        seconds = int(self._window.total_seconds())
        epoch = int(now.timestamp())
        return datetime.fromtimestamp(epoch - epoch % seconds, UTC)

    def hit(self, kind: str, value: str, *, limit: int, now: datetime) -> bool:
        """Count one request; False when this one is over the limit for the window."""
        start = self.window_start(now)
        bucket = self.bucket(kind, value)
        with self._store.begin() as db:
            dialect = postgresql if db.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(rate_limits).values(
                bucket=bucket, window_start=start, hits=1
            )
            statement = statement.on_conflict_do_update(
                index_elements=[rate_limits.c.bucket, rate_limits.c.window_start],
                set_={"hits": rate_limits.c.hits + 1},
            ).returning(rate_limits.c.hits)
            hits = db.execute(statement).scalar_one()
            # Old windows are of no use; the index makes this cheap.
            db.execute(delete(rate_limits).where(rate_limits.c.window_start < start - self._window))
        return hits <= limit
