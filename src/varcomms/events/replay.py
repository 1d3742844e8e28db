"""Tokens already seen, in the database: every app process sees every other's."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from varcomms.store import Store, insert_ignoring_conflicts
from varcomms.store.schema import webhook_tokens


def remember_token(
    store: Store, provider: str, token: str, *, now: datetime, keep: timedelta
) -> bool:
    """Record ``token``; False when it was seen before (the request is a replay)."""
    with store.begin() as db:
        # A token older than the accepted window needs no memory: its request is refused
        # by its timestamp. Pruning here keeps the table at one window's worth of rows.
        db.execute(delete(webhook_tokens).where(webhook_tokens.c.seen_at < now - keep))
        statement = insert_ignoring_conflicts(db, webhook_tokens)
        inserted = db.execute(
            statement.values(provider=provider, token=token[:200], seen_at=now).returning(
                webhook_tokens.c.token
            )
        ).first()
        return inserted is not None
