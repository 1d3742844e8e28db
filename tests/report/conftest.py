"""A send's ledger and the events providers reported afterwards, written as rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from varcomms.clock import FakeClock
from varcomms.config import Config
from varcomms.context import Context
from varcomms.store import Store
from varcomms.store.schema import deliveries, events, sends, subscriber_themes, subscribers

SENT = datetime(2022, 2, 1, 8, 5, tzinfo=UTC)


def add_send(
    store: Store,
    send_id: str,
    edition_id: str,
    rows: list[tuple[str, str, str]],
    *,
    segment: str | None = None,
    is_test: bool = False,
    finished: datetime = SENT,
) -> None:
    """``rows``: (email, variant, state)."""
    with store.engine.begin() as db:
        db.execute(
            sends.insert().values(
                id=send_id,
                edition_id=edition_id,
                segment=segment,
                provider="outbox",
                is_test=is_test,
                status="finished",
                created_at=finished - timedelta(minutes=5),
                finished_at=finished,
            )
        )
        db.execute(
            deliveries.insert(),
            [
                {
                    "send_id": send_id,
                    "edition_id": edition_id,
                    "recipient_key": f"test:{send_id}:{email}" if is_test else email,
                    "email": email,
                    "variant": variant,
                    "state": state,
                    "updated_at": finished,
                }
                for email, variant, state in rows
            ],
        )


def add_events(store: Store, edition_id: str, rows: list[tuple[str, str, dict]]) -> None:
    """``rows``: (type, email, data); each its own provider event id."""
    with store.engine.begin() as db:
        start = db.execute(select(func.count()).select_from(events)).scalar() or 0
        db.execute(
            events.insert(),
            [
                {
                    "provider": "mailgun",
                    "provider_event_id": f"{edition_id}-{start + index}",
                    "type": kind,
                    "email": email,
                    "edition_id": edition_id,
                    "occurred_at": SENT + timedelta(hours=1 + index),
                    "data": data,
                }
                for index, (kind, email, data) in enumerate(rows)
            ],
        )


def add_subscriber(
    store: Store,
    email: str,
    *,
    joined: datetime,
    status: str = "subscribed",
    themes: tuple[str, ...] = (),
    updated: datetime | None = None,
) -> None:
    with store.engine.begin() as db:
        subscriber_id = db.execute(
            subscribers.insert().values(
                email=email,
                domain=email.rsplit("@", 1)[1],
                status=status,
                consent_at=joined,
                confirmed_at=joined,
                created_at=joined,
                updated_at=updated or joined,
            )
        ).inserted_primary_key[0]
        if themes:
            db.execute(
                subscriber_themes.insert(),
                [{"subscriber_id": subscriber_id, "theme": theme} for theme in themes],
            )


@pytest.fixture
def report_ctx(sample_config: Config, store: Store) -> Iterator[Context]:
    ctx = Context(config=sample_config, clock=FakeClock(datetime(2023, 3, 1, tzinfo=UTC)))
    ctx.__dict__["store"] = store
    yield ctx
