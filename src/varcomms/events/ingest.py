"""Store provider events once, tie them to the send ledger, and apply their effects.

Each event is keyed by (provider, provider event id): a provider retrying a webhook, or
the same batch posted twice, never doubles a count. Effects go through the audience
stage, so the next send, resume or test send sees them at once:

- a hard bounce or a complaint puts the address on the suppression list and marks the
  subscriber bounced or complained;
- soft bounces do the same once ``events.soft_bounce_limit`` of them fall within
  ``events.soft_bounce_window_days``;
- a provider-side unsubscribe unsubscribes.

An event for a message the ledger does not know (a confirmation mail, a send from
before the ledger was reset) is stored unlinked, and its effects still apply: the
provider verified it, and a dead address is dead whatever was sent to it.

An event about someone who was erased since (a provider reports late) is stored without
the address, so the figures stay whole and the person does not come back into the
database; it has no effects, the erasure hash already suppresses them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from varcomms.addresses import InvalidAddressError, normalise_email
from varcomms.audience import erasure_key, set_status, suppress, suppressed_among
from varcomms.context import Context
from varcomms.errors import NotFoundError, StateError
from varcomms.events.model import ProviderEvent
from varcomms.models import EventType, SubscriberStatus
from varcomms.store import insert_ignoring_conflicts
from varcomms.store.schema import deliveries, events

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    unlinked: int = 0
    suppressed: list[str] = field(default_factory=list)
    unsubscribed: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.received += other.received
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.unlinked += other.unlinked
        self.suppressed += other.suppressed
        self.unsubscribed += other.unsubscribed

    def to_dict(self) -> dict[str, Any]:
        # Counts only: addresses stay out of logs and HTTP answers.
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "unlinked": self.unlinked,
            "suppressed": len(self.suppressed),
            "unsubscribed": len(self.unsubscribed),
        }


@dataclass(frozen=True, slots=True)
class _Link:
    send_id: str
    edition_id: str
    email: str


def ingest(ctx: Context, received: Sequence[ProviderEvent]) -> IngestReport:
    report = IngestReport(received=len(received))
    if not received:
        return report
    unique = list({(e.provider, e.event_id): e for e in received}.values())
    report.duplicates += len(received) - len(unique)
    unique = _forget_erased(ctx, unique)
    with ctx.store.begin() as db:
        known = _known_ids(db, unique)
        fresh = [e for e in unique if (e.provider, e.event_id) not in known]
        report.duplicates += len(unique) - len(fresh)
        by_message_id = _links_by_message_id(db, fresh)
        rows = []
        for event in fresh:
            link = by_message_id.get(event.message_id or "") or _link(db, event)
            if link is None:
                report.unlinked += 1
            rows.append(_row(event, link))
        if rows:
            db.execute(_insert_ignoring_duplicates(db), rows)
    report.stored = len(fresh)
    for event in fresh:
        _apply(ctx, event, report)
    return report


def _forget_erased(ctx: Context, batch: list[ProviderEvent]) -> list[ProviderEvent]:
    addresses = {e.email for e in batch if e.email}
    if not addresses:
        return batch
    # Not strict: refusing a webhook would only make the provider retry it; an
    # unreadable old hash is the import's and the send's business to refuse.
    found = suppressed_among(ctx.store, addresses, key=erasure_key(ctx, strict=False))
    erased = {email for email, entry in found.items() if entry.kind == "hash"}
    if not erased:
        return batch
    return [
        replace(e, email=None, message_id=None, provider_message_id=None, data={})
        if e.email in erased
        else e
        for e in batch
    ]


def _known_ids(db: Connection, batch: Iterable[ProviderEvent]) -> set[tuple[str, str]]:
    by_provider: dict[str, list[str]] = {}
    for event in batch:
        by_provider.setdefault(event.provider, []).append(event.event_id)
    found: set[tuple[str, str]] = set()
    for provider, ids in by_provider.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(events.c.provider_event_id).where(
                events.c.provider == provider, events.c.provider_event_id.in_(chunk)
            )
            found.update((provider, value) for value in db.execute(query).scalars())
    return found


def _insert_ignoring_duplicates(db: Connection) -> Any:
    # Two app processes may take the same retried webhook at once: the unique key
    # decides, and the loser inserts nothing instead of failing.
    return insert_ignoring_conflicts(db, events)


_COLUMNS = (
    deliveries.c.message_id,
    deliveries.c.send_id,
    deliveries.c.edition_id,
    deliveries.c.email,
)


def _links_by_message_id(db: Connection, batch: Sequence[ProviderEvent]) -> dict[str, _Link]:
    """Ledger rows for a whole batch by our Message-ID, in a few queries, not one each."""
    wanted = sorted({e.message_id for e in batch if e.message_id})
    found: dict[str, _Link] = {}
    for start in range(0, len(wanted), 400):
        chunk = wanted[start : start + 400]
        forms = chunk + [f"<{bare}>" for bare in chunk]
        for row in db.execute(select(*_COLUMNS).where(deliveries.c.message_id.in_(forms))):
            found[row.message_id.strip("<>")] = _Link(row.send_id, row.edition_id, row.email)
    return found


def _link(db: Connection, event: ProviderEvent) -> _Link | None:
    """The ledger row of an event without a Message-ID we know: other ids we set."""
    conditions = []
    if event.provider_message_id and event.email:
        conditions.append(
            and_(
                deliveries.c.provider_message_id == event.provider_message_id,
                func.lower(deliveries.c.email) == event.email,
            )
        )
    if event.send_id and event.email:
        conditions.append(
            and_(
                deliveries.c.send_id == event.send_id, func.lower(deliveries.c.email) == event.email
            )
        )
    for condition in conditions:
        row = db.execute(select(*_COLUMNS).where(condition).limit(1)).first()
        if row is not None:
            return _Link(row.send_id, row.edition_id, row.email)
    return None


def _row(event: ProviderEvent, link: _Link | None) -> dict[str, Any]:
    data = dict(event.data)
    if event.provider_message_id:
        data["provider_message_id"] = event.provider_message_id
    data["linked"] = link is not None
    return {
        "provider": event.provider,
        "provider_event_id": event.event_id,
        "type": event.type.value,
        "email": (link.email if link else event.email),
        "send_id": link.send_id if link else event.send_id,
        "edition_id": link.edition_id if link else event.edition_id,
        "occurred_at": event.occurred_at,
        "data": data,
    }


def _apply(ctx: Context, event: ProviderEvent, report: IngestReport) -> None:
    if not event.email:
        return
    try:
        address = normalise_email(event.email)
    except InvalidAddressError:
        return
    if event.type is EventType.COMPLAINED:
        _suppress(ctx, address, "complained", SubscriberStatus.COMPLAINED, event, report)
    elif event.is_hard_bounce:
        _suppress(ctx, address, "hard bounce", SubscriberStatus.BOUNCED, event, report)
    elif (
        event.is_soft_bounce and _soft_bounces(ctx, address) >= ctx.config.events.soft_bounce_limit
    ):
        _suppress(ctx, address, "soft bounces", SubscriberStatus.BOUNCED, event, report)
    elif event.type is EventType.UNSUBSCRIBED and _set(ctx, address, SubscriberStatus.UNSUBSCRIBED):
        report.unsubscribed.append(address)


def _suppress(
    ctx: Context,
    address: str,
    reason: str,
    status: SubscriberStatus,
    event: ProviderEvent,
    report: IngestReport,
) -> None:
    added = suppress(
        ctx.store,
        address,
        kind="address",
        reason=reason,
        source=f"{event.provider} webhook",
        now=ctx.clock.now(),
    )
    _set(ctx, address, status)
    if added:
        report.suppressed.append(address)


def _set(ctx: Context, address: str, status: SubscriberStatus) -> bool:
    try:
        return set_status(ctx.store, address, status, now=ctx.clock.now())
    except NotFoundError:
        return False  # not (or no longer) a subscriber: the suppression is what counts
    except StateError:
        return False  # already inactive for another reason; leave that reason


def _soft_bounces(ctx: Context, address: str) -> int:
    since = ctx.clock.now() - timedelta(days=ctx.config.events.soft_bounce_window_days)
    query = select(func.count()).where(
        events.c.type == EventType.BOUNCED.value,
        func.lower(events.c.email) == address,
        events.c.occurred_at >= since,
        or_(events.c.data["bounce"].as_string() == "soft", events.c.data["bounce"].is_(None)),
    )
    with ctx.store.connect() as db:
        return int(db.execute(query).scalar() or 0)
