"""Subscriber rows: reading them whole (profile, themes, consent) and as models."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from varcomms.addresses import fold
from varcomms.errors import NotFoundError, StateError
from varcomms.models import OrgType, Subscriber, SubscriberStatus
from varcomms.store import Store
from varcomms.store.bulk import among
from varcomms.store.schema import subscriber_themes, subscribers

INACTIVE = frozenset({"unsubscribed", "bounced", "complained"})


@dataclass(frozen=True)
class SubscriberRecord:
    """Everything stored about one subscriber (what ``audience show`` prints)."""

    id: int
    email: str
    name: str | None
    first_name: str | None
    organisation: str | None
    org_type: str
    municipality: str | None
    language: str
    status: str
    themes: tuple[str, ...]
    consent_source: str | None
    consent_at: datetime | None
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def to_model(self) -> Subscriber:
        return Subscriber(
            id=self.id,
            email=self.email,
            name=self.name,
            first_name=self.first_name,
            organisation=self.organisation,
            org_type=OrgType(self.org_type),
            municipality=self.municipality,
            themes=frozenset(self.themes),
            language=self.language,
            status=SubscriberStatus(self.status),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "first_name": self.first_name,
            "organisation": self.organisation,
            "org_type": self.org_type,
            "municipality": self.municipality,
            "language": self.language,
            "status": self.status,
            "themes": list(self.themes),
            "consent": {
                "source": self.consent_source,
                "consented_at": _iso(self.consent_at),
                "confirmed_at": _iso(self.confirmed_at),
            },
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def themes_by_id(db: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return found
    query = (
        select(subscriber_themes.c.subscriber_id, subscriber_themes.c.theme)
        .where(among(db, subscriber_themes.c.subscriber_id, ids))
        .order_by(subscriber_themes.c.subscriber_id, subscriber_themes.c.theme)
    )
    for subscriber_id, theme in db.execute(query):
        found[subscriber_id].append(theme)
    return found


def records(db: Connection, rows: Iterable[Row[Any]]) -> list[SubscriberRecord]:
    """Rows of the subscribers table, completed with their themes (one extra query)."""
    rows = list(rows)
    themes = themes_by_id(db, [row.id for row in rows])
    return [
        SubscriberRecord(
            id=row.id,
            email=row.email,
            name=row.name,
            first_name=row.first_name,
            organisation=row.organisation,
            org_type=row.org_type,
            municipality=row.municipality,
            language=row.language,
            status=row.status,
            themes=tuple(themes.get(row.id, ())),
            consent_source=row.consent_source,
            consent_at=row.consent_at,
            confirmed_at=row.confirmed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def by_emails(db: Connection, emails: Sequence[str]) -> dict[str, SubscriberRecord]:
    if not emails:
        return {}
    rows = db.execute(select(subscribers).where(among(db, subscribers.c.email, emails)))
    return {record.email: record for record in records(db, rows)}


def find_subscriber(store: Store, email: str) -> SubscriberRecord | None:
    address = fold(email)
    with store.connect() as db:
        return by_emails(db, [address]).get(address)


def get_subscriber(store: Store, email: str) -> SubscriberRecord:
    """The subscriber with this address (any case), or NotFoundError."""
    record = find_subscriber(store, email)
    if record is None:
        raise NotFoundError(
            "no subscriber with that address",
            hint="addresses are matched case-insensitively; check the spelling",
        )
    return record


def set_status(
    store: Store,
    email: str,
    status: SubscriberStatus | str,
    *,
    now: datetime,
    confirmed: bool = False,
) -> bool:
    """Change one subscriber's status (unsubscribe link, bounce, complaint, opt-in).

    Moving someone who unsubscribed, bounced or complained back to pending or subscribed
    needs ``confirmed=True``: only the person's own confirmed opt-in may do that. A move to
    subscribed from the confirmation link also records ``confirmed_at``. Returns whether
    a row changed; NotFoundError for an unknown address.
    """
    new = SubscriberStatus(status).value
    record = get_subscriber(store, email)
    if record.status == new:
        return False
    if record.status in INACTIVE and new not in INACTIVE and not confirmed:
        raise StateError(
            f"this subscriber {record.status}; they can only come back by confirming "
            "a new opt-in themselves",
            hint="a double opt-in confirmation sets confirmed=True",
        )
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if confirmed and new == SubscriberStatus.SUBSCRIBED:
        values["confirmed_at"] = now
    with store.begin() as db:
        db.execute(update(subscribers).where(subscribers.c.id == record.id).values(**values))
    return True
