"""``send status``: progress of an edition's real send, read from the ledger."""

from __future__ import annotations

from sqlalchemy import func, select

from varcomms.context import Context
from varcomms.delivery.ledger import Ledger
from varcomms.delivery.report import MAX_LISTED_FAILURES, SendStatus
from varcomms.errors import NotFoundError
from varcomms.models import DeliveryState
from varcomms.store.schema import deliveries, sends


def send_status(ctx: Context, edition_id: str) -> SendStatus:
    ledger = Ledger(ctx.store, ctx.clock)
    rows = ledger.sends_for(edition_id)
    if not rows:
        raise NotFoundError(
            f"edition {edition_id!r} has not been sent (not even a test)",
            hint=f"send it with: varcomms send {edition_id}",
        )
    status = SendStatus(
        edition_id=edition_id,
        sends=[
            {
                "id": row.id,
                "status": row.status,
                "provider": row.provider,
                "test": row.is_test,
                "segment": row.segment,
                "created_at": row.created_at.isoformat(),
                "finished_at": row.finished_at.isoformat() if row.finished_at else None,
                "note": row.note,
            }
            for row in rows
        ],
    )
    real = (
        select(sends.c.id)
        .where(sends.c.edition_id == edition_id, sends.c.is_test.is_(False))
        .scalar_subquery()
    )
    only_real = deliveries.c.send_id.in_(real)
    with ctx.store.connect() as db:
        for variant, state, count in db.execute(
            select(deliveries.c.variant, deliveries.c.state, func.count())
            .where(only_real)
            .group_by(deliveries.c.variant, deliveries.c.state)
        ):
            status.per_variant.setdefault(variant, {})[state] = int(count)
            status.states[state] = status.states.get(state, 0) + int(count)
        status.in_flight = int(
            db.execute(
                select(func.count()).where(
                    only_real,
                    deliveries.c.state == DeliveryState.PENDING.value,
                    deliveries.c.batch.is_not(None),
                )
            ).scalar()
            or 0
        )
        for email, error in db.execute(
            select(deliveries.c.email, deliveries.c.error)
            .where(only_real, deliveries.c.state == DeliveryState.FAILED.value)
            .order_by(deliveries.c.id)
            .limit(MAX_LISTED_FAILURES)
        ):
            status.failures.append({"email": email, "reason": error or ""})
        # Every held row, uncapped: these are the rows an editor must decide about.
        status.uncertain = [
            {"email": email, "reason": error or ""}
            for email, error in db.execute(
                select(deliveries.c.email, deliveries.c.error)
                .where(only_real, deliveries.c.state == DeliveryState.UNCERTAIN.value)
                .order_by(deliveries.c.id)
            )
        ]
    return status
