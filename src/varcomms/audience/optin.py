"""Double opt-in: a sign-up request waits, unused, until its owner confirms the address.

``request_optin`` stores what the form said and returns the request to mail a link for
(or None when no mail may go to that address at all: suppressed, bounced, complained).
``confirm_optin`` is the one way the web makes someone ``subscribed``: it writes the
consent record (source, time, the version of the consent text) and the chosen themes.

A request that is never confirmed is deleted once expired (data minimisation); a
confirmed one keeps only its dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from varcomms.addresses import domain_of
from varcomms.errors import NotFoundError, StateError
from varcomms.store import Store
from varcomms.store.schema import optins, subscriber_themes, subscribers

from . import changes
from .subscribers import records
from .suppression import ErasureKey
from .suppression import matching as matching_suppressions

# Statuses that mean "never mail this address again unprompted": no confirmation mail.
NEVER_MAIL = frozenset({"bounced", "complained"})
PROFILE = ("name", "organisation", "org_type", "municipality")


class OptinExpiredError(StateError):
    """The confirmation link is older than the configured expiry."""


@dataclass(frozen=True)
class OptinRequest:
    id: int
    email: str
    expires_at: datetime


def request_optin(
    store: Store,
    email: str,
    data: dict[str, Any],
    *,
    consent_version: str,
    source: str,
    now: datetime,
    expires_at: datetime,
    key: ErasureKey | None = None,
) -> OptinRequest | None:
    """Record a sign-up for a normalised address; None when it must not be mailed."""
    with store.begin() as db:
        # Expired, unconfirmed requests hold personal data for nothing.
        db.execute(delete(optins).where(optins.c.confirmed_at.is_(None), optins.c.expires_at < now))
        if matching_suppressions(db, [email], key):
            return None
        status = db.execute(
            select(subscribers.c.status).where(subscribers.c.email == email)
        ).scalar()
        if status in NEVER_MAIL:
            return None
        new_id = db.execute(
            insert(optins)
            .values(
                email=email,
                data=data,
                consent_version=consent_version,
                source=source,
                created_at=now,
                expires_at=expires_at,
            )
            .returning(optins.c.id)
        ).scalar_one()
    return OptinRequest(new_id, email, expires_at)


@dataclass(frozen=True)
class Confirmation:
    email: str
    subscriber_id: int | None
    newly: bool  # False: confirmed before (a second click) or suppressed meanwhile


def confirm_optin(
    store: Store, optin_id: int, *, now: datetime, key: ErasureKey | None = None
) -> Confirmation:
    """Make the request's address subscribed with its consent record and themes.

    Idempotent: a second click confirms nothing new. Suppression wins over the
    confirmation (nothing changes). OptinExpiredError past the expiry; NotFoundError for
    a request that was deleted.
    """
    try:
        return _confirm(store, optin_id, now=now, key=key)
    except IntegrityError:
        # Two confirmations of one address at once: the other one made the row.
        return _confirm(store, optin_id, now=now, key=key)


def _confirm(store: Store, optin_id: int, *, now: datetime, key: ErasureKey | None) -> Confirmation:
    with store.begin() as db:
        # A no-op write first: SQLite takes its write lock before reading (see preferences).
        db.execute(update(optins).where(optins.c.id == optin_id).values(id=optins.c.id))
        request = db.execute(select(optins).where(optins.c.id == optin_id)).first()
        if request is None:
            raise NotFoundError("no such sign-up request")
        existing = records(
            db, db.execute(select(subscribers).where(subscribers.c.email == request.email))
        )
        current = existing[0] if existing else None
        if request.confirmed_at is not None:
            return Confirmation(request.email, current.id if current else None, newly=False)
        if request.expires_at < now:
            raise OptinExpiredError("the confirmation link has expired")
        if matching_suppressions(db, [request.email], key):
            return Confirmation(request.email, None, newly=False)
        data = dict(request.data or {})
        profile = {name: data.get(name) or None for name in PROFILE}
        profile["org_type"] = profile["org_type"] or "other"
        name = profile["name"]
        consent = {
            "status": "subscribed",
            "consent_source": request.source,
            "consent_at": now,
            "confirmed_at": now,
            "consent_version": request.consent_version,
            "paused_until": None,
            "updated_at": now,
        }
        if current is None:
            subscriber_id = db.execute(
                insert(subscribers)
                .values(
                    email=request.email,
                    domain=domain_of(request.email),
                    first_name=name.split()[0] if name else None,
                    created_at=now,
                    **profile,
                    **consent,
                )
                .returning(subscribers.c.id)
            ).scalar_one()
        else:
            subscriber_id = current.id
            # The confirmed form is the person's own word: it replaces what it fills in.
            filled = {k: v for k, v in profile.items() if v is not None}
            if "name" in filled:
                filled["first_name"] = filled["name"].split()[0]
            db.execute(
                update(subscribers)
                .where(subscribers.c.id == subscriber_id)
                .values(**filled, **consent)
            )
            db.execute(
                delete(subscriber_themes).where(subscriber_themes.c.subscriber_id == subscriber_id)
            )
        themes = sorted(set(data.get("themes") or ()))
        if themes:
            db.execute(
                insert(subscriber_themes),
                [{"subscriber_id": subscriber_id, "theme": theme} for theme in themes],
            )
        db.execute(update(optins).where(optins.c.id == optin_id).values(confirmed_at=now, data={}))
        changes.record(
            db, type=changes.CONFIRMED, email=request.email, channel="web", source="optin",
            now=now, data={"consent_version": request.consent_version, "themes": themes},
        )  # fmt: skip
    return Confirmation(request.email, subscriber_id, newly=True)
