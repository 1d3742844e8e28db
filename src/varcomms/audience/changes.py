"""The event log of audience changes: every unsubscribe, confirmation and preference change.

Each change a person makes (through the web app, the unsubscribe mailbox, …) is one row
in ``events`` in the same transaction as the change itself, so a report can count them
and ``audience export-person`` lists them. ``provider`` names the channel ("web",
"mailbox"); ``data["source"]`` the precise way (one-click, unsubscribe page, …).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from varcomms.store.schema import events

# Event types written here, next to the providers' normalised ones (opened, bounced, …).
UNSUBSCRIBED = "unsubscribed"
CONFIRMED = "confirmed"
PREFERENCES = "preferences"
PAUSED = "paused"


def record(
    db: Connection,
    *,
    type: str,
    email: str | None,
    channel: str,
    source: str,
    now: datetime,
    edition_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    db.execute(
        insert(events).values(
            provider=channel,
            type=type,
            email=email,
            edition_id=edition_id,
            occurred_at=now,
            data={"source": source, **(data or {})},
        )
    )
