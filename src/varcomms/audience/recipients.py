"""Who gets mail: the subscribed people in a segment, minus the suppression list.

Everything is one SQL query per batch, walked in id order (keyset pagination): memory
stays flat however large the audience, and no long-lived cursor holds the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from varcomms.models import Subscriber
from varcomms.store import Store
from varcomms.store.schema import subscribers

from .segments import Segment
from .subscribers import SubscriberRecord, records
from .suppression import not_suppressed


def not_paused(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL: no pause chosen in the preference centre, or it has ended by ``now``."""
    moment = now or datetime.now(UTC)
    return subscribers.c.paused_until.is_(None) | (subscribers.c.paused_until <= moment)


def recipient_condition(
    segment: Segment | None, *, now: datetime | None = None
) -> ColumnElement[bool]:
    """SQL: subscribed, not paused at ``now``, not suppressed, in the segment.

    ``now`` is the caller's clock (a send on a shifted clock must see the pauses of its
    own moment); without it, the real time.
    """
    condition = (subscribers.c.status == "subscribed") & not_suppressed() & not_paused(now)
    if segment is not None:
        condition = condition & segment.where()
    return condition


def iter_records(
    store: Store, condition: ColumnElement[bool], *, batch_size: int = 1000
) -> Iterator[SubscriberRecord]:
    """Subscriber records matching a condition, streamed in id order."""
    last_id = 0
    while True:
        query: Select = (
            select(subscribers)
            .where(condition, subscribers.c.id > last_id)
            .order_by(subscribers.c.id)
            .limit(batch_size)
        )
        with store.connect() as db:
            batch = records(db, db.execute(query))
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id
        if len(batch) < batch_size:
            return


def iter_recipients(
    store: Store,
    segment: Segment | None = None,
    *,
    batch_size: int = 1000,
    now: datetime | None = None,
) -> Iterator[Subscriber]:
    """The people an edition goes to, in id order: subscribed, in ``segment`` (everyone
    when None) and not on the suppression list by address or domain."""
    condition = recipient_condition(segment, now=now)
    for record in iter_records(store, condition, batch_size=batch_size):
        yield record.to_model()


def still_recipients(
    store: Store,
    subscriber_ids: Iterable[int],
    segment: Segment | None = None,
    *,
    now: datetime | None = None,
) -> set[int]:
    """Which of these subscribers :func:`iter_recipients` would still yield now.

    Delivery asks this about people it meant to mail in an earlier, interrupted run:
    whoever has unsubscribed, been suppressed or erased since is no longer owed a message.
    """
    wanted = sorted(set(subscriber_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 900):
        query = select(subscribers.c.id).where(
            recipient_condition(segment, now=now),
            subscribers.c.id.in_(wanted[start : start + 900]),
        )
        with store.connect() as db:
            found.update(db.execute(query).scalars())
    return found


def count_suppressed(store: Store, segment: Segment | None = None) -> int:
    """Subscribed people in the segment whom the suppression list keeps from mail."""
    condition = (subscribers.c.status == "subscribed") & ~not_suppressed()
    if segment is not None:
        condition = condition & segment.where()
    query = select(func.count()).select_from(subscribers).where(condition)
    with store.connect() as db:
        return db.execute(query).scalar_one()


def count(store: Store, segment: Segment | None = None, *, now: datetime | None = None) -> int:
    """How many recipients :func:`iter_recipients` would yield."""
    condition = recipient_condition(segment, now=now)
    query = select(func.count()).select_from(subscribers).where(condition)
    with store.connect() as db:
        return db.execute(query).scalar_one()


def count_matching(store: Store, segment: Segment | None = None) -> int:
    """Everyone the segment's rule matches, whatever their status or suppression."""
    query = select(func.count()).select_from(subscribers)
    if segment is not None:
        query = query.where(segment.where())
    with store.connect() as db:
        return db.execute(query).scalar_one()
