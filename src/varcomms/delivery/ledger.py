"""The send ledger: one row per person per edition, written before a message leaves.

States (:class:`varcomms.models.DeliveryState`) and what they promise:

- ``pending`` with ``batch`` NULL — claimed, never handed to the provider: safe to send.
- ``pending`` with ``batch`` set — handed to the provider (in flight). After a crash such
  rows are reconciled with the provider, or become ``uncertain``.
- ``sent`` (with the provider's id), ``failed`` (with the reason), ``suppressed``.
- ``uncertain`` — the fate is unknown; held by default, re-sent when the policy says so.

The database's unique (edition, recipient) constraint is what makes a second message
for the same person structurally impossible; this module only ever inserts with
"on conflict do nothing" and reads back what is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from varcomms.clock import Clock
from varcomms.delivery.providers.base import InFlight, Outcome, OutcomeStatus
from varcomms.models import DeliveryState
from varcomms.store import Store, insert_ignoring_conflicts
from varcomms.store.schema import deliveries, sends


@dataclass(frozen=True, slots=True)
class Entry:
    """A recipient about to be claimed."""

    key: str
    email: str
    variant: str
    subscriber_id: int | None = None
    message_id: str | None = None
    state: DeliveryState = DeliveryState.PENDING
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    row_id: int
    key: str
    state: DeliveryState
    in_flight: bool


@dataclass(frozen=True, slots=True)
class SendRow:
    id: str
    edition_id: str
    segment: str | None
    provider: str
    is_test: bool
    status: str
    created_at: datetime
    finished_at: datetime | None
    note: str | None


_STATE_FOR = {
    OutcomeStatus.SENT: DeliveryState.SENT,
    OutcomeStatus.FAILED: DeliveryState.FAILED,
    OutcomeStatus.UNCERTAIN: DeliveryState.UNCERTAIN,
    OutcomeStatus.RETRY: DeliveryState.PENDING,
    OutcomeStatus.SPLIT: DeliveryState.PENDING,
}
# Outcomes after which nothing of the message left our hands: out of flight again.
_NOT_IN_FLIGHT = (OutcomeStatus.RETRY, OutcomeStatus.SPLIT)


def _upsert_ignore(connection: Connection) -> Any:
    return insert_ignoring_conflicts(
        connection, deliveries, index_elements=["edition_id", "recipient_key"]
    )


class Ledger:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- sends ---------------------------------------------------------------------------

    def latest_send(self, edition_id: str, *, is_test: bool = False) -> SendRow | None:
        query = (
            select(sends)
            .where(sends.c.edition_id == edition_id, sends.c.is_test == is_test)
            .order_by(sends.c.created_at.desc(), sends.c.id.desc())
            .limit(1)
        )
        with self.store.connect() as db:
            row = db.execute(query).first()
        return SendRow(**row._mapping) if row else None

    def sends_for(self, edition_id: str) -> list[SendRow]:
        query = select(sends).where(sends.c.edition_id == edition_id).order_by(sends.c.created_at)
        with self.store.connect() as db:
            return [SendRow(**row._mapping) for row in db.execute(query)]

    def create_send(
        self,
        send_id: str,
        *,
        edition_id: str,
        segment: str | None,
        provider: str,
        is_test: bool,
        note: str | None = None,
    ) -> None:
        with self.store.begin() as db:
            db.execute(
                insert(sends).values(
                    id=send_id,
                    edition_id=edition_id,
                    segment=segment,
                    provider=provider,
                    is_test=is_test,
                    status="running",
                    created_at=self.clock.now(),
                    note=note,
                )
            )

    def set_send_status(self, send_id: str, status: str, *, note: str | None = None) -> None:
        finished = self.clock.now() if status in ("finished", "paused", "interrupted") else None
        values: dict[str, Any] = {"status": status, "finished_at": finished}
        if note is not None:
            values["note"] = note
        with self.store.begin() as db:
            db.execute(update(sends).where(sends.c.id == send_id).values(**values))

    # -- rows ----------------------------------------------------------------------------

    def claim(self, send_id: str, edition_id: str, entries: Sequence[Entry]) -> dict[str, Claim]:
        """Insert rows that do not exist yet; return every entry's row as it now stands."""
        if not entries:
            return {}
        now = self.clock.now()
        rows = [
            {
                "send_id": send_id,
                "edition_id": edition_id,
                "recipient_key": entry.key,
                "email": entry.email,
                "subscriber_id": entry.subscriber_id,
                "variant": entry.variant,
                "state": str(entry.state),
                "batch": None,
                "message_id": entry.message_id,
                "error": entry.error,
                "attempts": 0,
                "updated_at": now,
            }
            for entry in entries
        ]
        keys = [entry.key for entry in entries]
        with self.store.begin() as db:
            db.execute(_upsert_ignore(db), rows)
            found = db.execute(
                select(
                    deliveries.c.id,
                    deliveries.c.recipient_key,
                    deliveries.c.state,
                    deliveries.c.batch,
                ).where(deliveries.c.edition_id == edition_id, deliveries.c.recipient_key.in_(keys))
            )
            return {
                row.recipient_key: Claim(
                    row.id,
                    row.recipient_key,
                    DeliveryState(row.state),
                    row.state == DeliveryState.PENDING and row.batch is not None,
                )
                for row in found
            }

    def start_batch(self, row_ids: Sequence[int], number: int) -> None:
        """Mark rows in flight: from here on their fate is the provider's."""
        with self.store.begin() as db:
            for ids in _chunks(row_ids):
                db.execute(
                    update(deliveries)
                    .where(deliveries.c.id.in_(ids))
                    .values(
                        batch=number,
                        attempts=deliveries.c.attempts + 1,
                        updated_at=self.clock.now(),
                    )
                )

    def record(self, results: Iterable[tuple[int, int | None, Outcome]]) -> None:
        """Store outcomes: (row id, batch number, outcome).

        Outcomes that read the same (a whole batch accepted under one provider id) are
        written with one statement; this keeps 100,000 recipients cheap.
        """
        groups: dict[tuple[str, str | None, str | None, int | None], list[int]] = {}
        for row_id, number, outcome in results:
            # A retry is no longer in flight: nothing of it left our hands.
            batch = None if outcome.status in _NOT_IN_FLIGHT else number
            state = str(_STATE_FOR[outcome.status])
            group = (state, outcome.provider_message_id, outcome.error, batch)
            groups.setdefault(group, []).append(row_id)
        if not groups:
            return
        now = self.clock.now()
        with self.store.begin() as db:
            for (state, provider_id, error, batch), row_ids in groups.items():
                for ids in _chunks(row_ids):
                    db.execute(
                        update(deliveries)
                        .where(deliveries.c.id.in_(ids))
                        .values(
                            state=state,
                            provider_message_id=provider_id,
                            error=error,
                            batch=batch,
                            updated_at=now,
                        )
                    )

    def in_flight(self, send_id: str) -> list[tuple[int, InFlight]]:
        """Rows handed to the provider whose outcome was never recorded."""
        return self._rows(
            deliveries.c.send_id == send_id,
            deliveries.c.state == DeliveryState.PENDING.value,
            deliveries.c.batch.is_not(None),
        )

    def uncertain_rows(
        self, send_id: str, emails: Sequence[str] | None = None
    ) -> list[tuple[int, InFlight]]:
        """Rows whose fate is unknown (all, or those of ``emails``)."""
        conditions = [
            deliveries.c.send_id == send_id,
            deliveries.c.state == DeliveryState.UNCERTAIN.value,
        ]
        if emails is not None:
            conditions.append(deliveries.c.email.in_(list(emails)))
        return self._rows(*conditions)

    def _rows(self, *conditions: Any) -> list[tuple[int, InFlight]]:
        query = (
            select(
                deliveries.c.id,
                deliveries.c.recipient_key,
                deliveries.c.email,
                deliveries.c.edition_id,
                deliveries.c.message_id,
                deliveries.c.batch,
                deliveries.c.updated_at,
            )
            .where(*conditions)
            .order_by(deliveries.c.id)
        )
        with self.store.connect() as db:
            return [
                (
                    row.id,
                    InFlight(
                        key=row.recipient_key,
                        email=row.email,
                        edition_id=row.edition_id,
                        message_id=row.message_id,
                        batch=row.batch if row.batch is not None else 0,
                        updated_at=row.updated_at,
                    ),
                )
                for row in db.execute(query)
            ]

    def release(self, row_ids: Sequence[int], *, resend: bool, note: str) -> int:
        """An editor's decision on held rows: send them again (pending) or count them as
        sent. Only rows still uncertain change; ``note`` records who decided and when."""
        changed = 0
        values: dict[str, Any] = (
            {"state": DeliveryState.PENDING.value, "batch": None}
            if resend
            else {"state": DeliveryState.SENT.value}
        )
        with self.store.begin() as db:
            for ids in _chunks(row_ids):
                result = db.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(ids),
                        deliveries.c.state == DeliveryState.UNCERTAIN.value,
                    )
                    .values(**values, error=note, updated_at=self.clock.now())
                )
                changed += int(result.rowcount or 0)
        return changed

    def unsent(self, send_id: str) -> list[tuple[int, int | None]]:
        """Rows still ``pending`` that were never handed over: (row id, subscriber id)."""
        query = select(deliveries.c.id, deliveries.c.subscriber_id).where(
            deliveries.c.send_id == send_id,
            deliveries.c.state == DeliveryState.PENDING.value,
            deliveries.c.batch.is_(None),
        )
        with self.store.connect() as db:
            return [(row.id, row.subscriber_id) for row in db.execute(query)]

    def mark_suppressed(self, row_ids: Sequence[int], reason: str) -> None:
        with self.store.begin() as db:
            for ids in _chunks(row_ids):
                db.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.id.in_(ids),
                        deliveries.c.state == DeliveryState.PENDING.value,
                        deliveries.c.batch.is_(None),
                    )
                    .values(
                        state=DeliveryState.SUPPRESSED.value,
                        error=reason,
                        updated_at=self.clock.now(),
                    )
                )

    def release_uncertain(self, send_id: str) -> int:
        """Policy "resend": uncertain rows become sendable again."""
        with self.store.begin() as db:
            result = db.execute(
                update(deliveries)
                .where(
                    deliveries.c.send_id == send_id,
                    deliveries.c.state == DeliveryState.UNCERTAIN.value,
                )
                .values(state=DeliveryState.PENDING.value, batch=None, updated_at=self.clock.now())
            )
            return int(result.rowcount or 0)

    def next_batch_number(self, send_id: str) -> int:
        with self.store.connect() as db:
            current = db.execute(
                select(func.max(deliveries.c.batch)).where(deliveries.c.send_id == send_id)
            ).scalar()
        return int(current or 0) + 1

    def count_states(self, send_id: str) -> dict[str, int]:
        query = (
            select(deliveries.c.state, func.count())
            .where(deliveries.c.send_id == send_id)
            .group_by(deliveries.c.state)
        )
        with self.store.connect() as db:
            return {state: int(count) for state, count in db.execute(query)}


def _chunks(values: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    """Keep IN lists well under every backend's parameter limit."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
