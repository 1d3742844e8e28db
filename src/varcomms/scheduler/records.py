"""What the scheduler remembers in the database: notices done once, and send claims.

A notice key (``remind:2022-05:riec-copy``, ``draft:2022-05``, ``refresh:2022-05:
2022-05-31``, ``collect:2022-05-31T06:00``) is inserted before the act; the primary
key makes a second insert fail, so each act happens once even across restarts and
even when two processes race. A reminder whose mail the provider refused is forgotten
again (:func:`forget`), so it is retried at the next pass.

A send claim is one row per edition. :func:`claim_send` is the conditional
scheduled → sending change: an insert, or an update guarded by the row's state, and
only the process whose statement changed the row goes on to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from varcomms.store import Store
from varcomms.store.schema import scheduler_notices, scheduler_sends

RESUMABLE = ("interrupted", "released")


@dataclass(frozen=True)
class SendClaim:
    edition_id: str
    state: str
    owner: str | None
    updated_at: datetime
    claimed_at: datetime | None = None  # when the send first started; retries keep it
    released_at: datetime | None = None
    released_by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Memory:
    """A snapshot of both tables, read in two queries per decision pass."""

    notices: frozenset[str]
    sends: dict[str, SendClaim]

    def done(self, key: str) -> bool:
        return key in self.notices


def read_memory(store: Store) -> Memory:
    with store.connect() as connection:
        keys = frozenset(connection.execute(select(scheduler_notices.c.key)).scalars())
        rows = connection.execute(select(scheduler_sends)).mappings().all()
    sends = {
        row["edition_id"]: SendClaim(
            edition_id=row["edition_id"],
            state=row["state"],
            owner=row["owner"],
            updated_at=row["updated_at"],
            claimed_at=row["claimed_at"],
            released_at=row["released_at"],
            released_by=row["released_by"],
            note=row["note"],
        )
        for row in rows
    }
    return Memory(notices=keys, sends=sends)


def note_once(
    store: Store,
    key: str,
    *,
    kind: str,
    now: datetime,
    edition_id: str | None = None,
    detail: str | None = None,
) -> bool:
    """Record ``key``; False when it was recorded before (by us or another process)."""
    try:
        with store.begin() as connection:
            connection.execute(
                insert(scheduler_notices).values(
                    key=key, kind=kind, edition_id=edition_id, created_at=now, detail=detail
                )
            )
    except IntegrityError:
        return False
    return True


def forget(store: Store, key: str) -> None:
    with store.begin() as connection:
        connection.execute(delete(scheduler_notices).where(scheduler_notices.c.key == key))


def claim_send(store: Store, edition_id: str, *, owner: str, now: datetime) -> bool:
    """Take the edition's send: True for exactly one caller, however many race."""
    try:
        with store.begin() as connection:
            connection.execute(
                insert(scheduler_sends).values(
                    edition_id=edition_id,
                    state="sending",
                    owner=owner,
                    claimed_at=now,
                    updated_at=now,
                )
            )
        return True
    except IntegrityError:
        pass
    with store.begin() as connection:
        result = connection.execute(
            update(scheduler_sends)
            .where(
                scheduler_sends.c.edition_id == edition_id,
                scheduler_sends.c.state.in_(RESUMABLE),
            )
            .values(
                state="sending",
                owner=owner,
                updated_at=now,
                # The first start of the send stays: the grace for resuming counts from it.
                claimed_at=func.coalesce(scheduler_sends.c.claimed_at, now),
            )
        )
        return result.rowcount == 1


def adopt_stale(store: Store, *, owner: str, now: datetime) -> list[str]:
    """At start-up: claims left ``sending`` by a scheduler that died are interrupted.

    Only one scheduler runs at a time (the scheduler lock), so a ``sending`` claim
    of another owner is a dead process's, and the next pass may resume it.
    """
    with store.begin() as connection:
        stale = list(
            connection.execute(
                select(scheduler_sends.c.edition_id).where(
                    scheduler_sends.c.state == "sending", scheduler_sends.c.owner != owner
                )
            ).scalars()
        )
        if stale:
            connection.execute(
                update(scheduler_sends)
                .where(scheduler_sends.c.edition_id.in_(stale))
                .values(state="interrupted", updated_at=now, note="its scheduler stopped")
            )
    return stale


def finish_send(
    store: Store, edition_id: str, *, state: str, now: datetime, note: str | None = None
) -> None:
    with store.begin() as connection:
        connection.execute(
            update(scheduler_sends)
            .where(scheduler_sends.c.edition_id == edition_id)
            .values(state=state, updated_at=now, note=note)
        )


def release(store: Store, edition_id: str, *, by: str, now: datetime) -> None:
    """An editor's word that a late or held edition may go out now."""
    values = {"state": "released", "released_by": by, "released_at": now, "updated_at": now}
    with store.begin() as connection:
        result = connection.execute(
            update(scheduler_sends)
            .where(
                scheduler_sends.c.edition_id == edition_id,
                scheduler_sends.c.state.in_(("interrupted", "failed")),
            )
            .values(**values)
        )
        if result.rowcount:
            return
        exists = connection.execute(
            select(scheduler_sends.c.state).where(scheduler_sends.c.edition_id == edition_id)
        ).scalar()
        if exists is None:
            connection.execute(insert(scheduler_sends).values(edition_id=edition_id, **values))
