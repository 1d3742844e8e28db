"""The suppression list: addresses and domains that are never mailed, whatever else says.

Three kinds of entry: ``address`` (a normalised address), ``domain`` (everything at a
domain, exact match) and ``hash`` (a keyed hash of an erased address, so an erased
person is recognised on a later import without their address being kept).

The hash is an HMAC-SHA256 under the erasure key, a key of its own: the environment
secret VARCOMMS_ERASURE_KEY, or else a random key made once in ``<data>/erasure.key``
(mode 0600; keep it with the database's backups). It is never the link-signing key, so
rotating VARCOMMS_SIGNING_KEY leaves every erasure hash valid. Each hash is stored as
``<key id>:<hmac>``. Hashes are checked against every key available (the current one,
retired ones in VARCOMMS_ERASURE_OLD_KEYS, the key file, and — for hashes made before
the erasure key was separate — the signing key). When some hash matches none of them,
an import or a send refuses to run: it could not recognise an erased person.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, and_, exists, func, insert, or_, select
from sqlalchemy.sql.elements import ColumnElement

from varcomms.addresses import (
    InvalidAddressError,
    domain_of,
    fold,
    normalise_domain,
    normalise_email,
)
from varcomms.context import Context
from varcomms.errors import InputError, StateError
from varcomms.keyfile import read_or_create_key
from varcomms.store import Store
from varcomms.store.bulk import among
from varcomms.store.schema import subscribers, suppressions

SuppressionKind = Literal["address", "domain", "hash"]
KINDS: tuple[SuppressionKind, ...] = ("address", "domain", "hash")
KEY_FILE = "erasure.key"


@dataclass(frozen=True)
class Suppression:
    kind: str
    value: str
    reason: str
    source: str | None
    created_at: datetime

    def describe(self) -> str:
        if self.kind == "hash":
            return "erased on request; never imported again"
        if self.kind == "domain":
            return f"domain {self.value} is on the suppression list ({self.reason})"
        return f"on the suppression list ({self.reason})"


# -- the erasure key -------------------------------------------------------------------------

ERASURE_KEY_NAME = "erasure_key"  # VARCOMMS_ERASURE_KEY
OLD_KEYS_NAME = "erasure_old_keys"  # VARCOMMS_ERASURE_OLD_KEYS: retired keys, comma-separated


def _key_id(secret: bytes) -> str:
    return hashlib.sha256(b"varcomms-erasure-key-id\x00" + secret).hexdigest()[:8]


@dataclass(frozen=True)
class ErasureKey:
    """The key new erasure hashes are made with, and the older keys they are checked with.

    ``id`` tells hashes made under different keys apart; ``checking`` are keys that
    only recognise hashes made earlier (a retired key, the pre-separation signing key).
    """

    secret: bytes
    checking: tuple[bytes, ...] = ()

    @property
    def id(self) -> str:
        return _key_id(self.secret)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(_key_id(secret) for secret in (self.secret, *self.checking))

    def hash(self, email: str) -> str:
        """The stored hash of a normalised address (see :func:`~.emails.normalise_email`)."""
        return _hash(self.secret, email)

    def hashes(self, email: str) -> list[str]:
        """The address's hash under every key this ring can check."""
        return [_hash(secret, email) for secret in (self.secret, *self.checking)]


def _hash(secret: bytes, email: str) -> str:
    digest = hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()
    return f"{_key_id(secret)}:{digest}"


def erasure_key(ctx: Context, *, strict: bool = True) -> ErasureKey:
    """The erasure key ring: VARCOMMS_ERASURE_KEY, else the key file (made on first use).

    With ``strict`` (imports and sends), refuse when the suppression list holds erasure
    hashes that no available key can check: going on could mail or re-add an erased
    person. Lookups that only show something pass ``strict=False``.
    """
    path = ctx.config.data_dir / KEY_FILE
    configured = ctx.secrets.get(ERASURE_KEY_NAME)
    others: list[str] = []
    if configured:
        current = configured
        if path.exists():
            others.append(read_or_create_key(path))
    else:
        current = read_or_create_key(path)
    others.extend(part.strip() for part in (ctx.secrets.get(OLD_KEYS_NAME) or "").split(","))
    # Before erasure had a key of its own, hashes were made with the signing key.
    others.append(ctx.secrets.get("signing_key") or "")
    checking = tuple(dict.fromkeys(o.encode() for o in others if o and o != current))
    key = ErasureKey(current.encode(), checking)
    if strict:
        unreadable = foreign_hashes(ctx.store, key)
        if unreadable:
            raise StateError(
                f"{unreadable} erasure hash(es) on the suppression list were made under a key "
                "that is not available, so erased people could not be recognised; "
                "nothing was done",
                hint="set the key they were made with in VARCOMMS_ERASURE_KEY or "
                "VARCOMMS_ERASURE_OLD_KEYS (or restore data/erasure.key); see docs/privacy.md",
            )
    return key


# -- reading -----------------------------------------------------------------------------


def _row(row: object) -> Suppression:
    return Suppression(row.kind, row.value, row.reason, row.source, row.created_at)  # type: ignore[attr-defined]


def matching(
    db: Connection, emails: Iterable[str], key: ErasureKey | None = None
) -> dict[str, Suppression]:
    """For normalised addresses, the entry that suppresses each (address before domain)."""
    emails = list(emails)
    if not emails:
        return {}
    domains = {domain_of(email) for email in emails}
    hashes = {h: email for email in emails for h in key.hashes(email)} if key else {}
    conditions = [
        and_(suppressions.c.kind == "address", among(db, suppressions.c.value, emails)),
        and_(suppressions.c.kind == "domain", among(db, suppressions.c.value, domains)),
    ]
    if hashes:
        conditions.append(
            and_(suppressions.c.kind == "hash", among(db, suppressions.c.value, hashes))
        )
    by_address: dict[str, Suppression] = {}
    by_domain: dict[str, Suppression] = {}
    for row in db.execute(select(suppressions).where(or_(*conditions))):
        entry = _row(row)
        if entry.kind == "address":
            by_address[entry.value] = entry
        elif entry.kind == "domain":
            by_domain[entry.value] = entry
        else:
            by_address.setdefault(hashes[entry.value], entry)
    found: dict[str, Suppression] = {}
    for email in emails:
        match = by_address.get(email) or by_domain.get(domain_of(email))
        if match is not None:
            found[email] = match
    return found


def suppressed_among(
    store: Store, emails: Iterable[str], *, key: ErasureKey | None = None
) -> dict[str, Suppression]:
    """For many addresses at once (as given), the entry that suppresses each: one query.

    Delivery checks each chunk it is about to send with this, so a test send or a
    resumed send never reaches someone suppressed since the audience was read.
    """
    folded = {email: fold(email) for email in emails}
    if not folded:
        return {}
    with store.connect() as db:
        found = matching(db, set(folded.values()), key)
    return {email: found[value] for email, value in folded.items() if value in found}


def find_suppression(
    store: Store, email: str, *, key: ErasureKey | None = None
) -> Suppression | None:
    """The entry that suppresses this address, if any. Erasure hashes need ``key``."""
    address = fold(email)
    with store.connect() as db:
        return matching(db, [address], key).get(address)


def is_suppressed(store: Store, email: str, *, key: ErasureKey | None = None) -> bool:
    """True when the address or its domain is on the suppression list.

    Erased addresses are recognised only with the erasure ``key``; they have no
    subscriber row, so a send never reaches them either way.
    """
    return find_suppression(store, email, key=key) is not None


def foreign_hashes(store: Store, key: ErasureKey) -> int:
    """How many erasure hashes were made under none of the ring's keys (and so never match)."""
    known = [suppressions.c.value.startswith(f"{key_id}:") for key_id in key.ids]
    with store.connect() as db:
        return db.execute(
            select(func.count())
            .select_from(suppressions)
            .where(suppressions.c.kind == "hash", ~or_(*known))
        ).scalar_one()


def not_suppressed() -> ColumnElement[bool]:
    """SQL: the subscriber's address and domain are not on the list (for recipient queries)."""
    by_address = exists().where(
        suppressions.c.kind == "address", suppressions.c.value == subscribers.c.email
    )
    by_domain = exists().where(
        suppressions.c.kind == "domain", suppressions.c.value == subscribers.c.domain
    )
    return ~by_address & ~by_domain


def list_suppressions(store: Store, *, kind: str | None = None) -> list[Suppression]:
    query = select(suppressions).order_by(suppressions.c.id)
    if kind is not None:
        query = query.where(suppressions.c.kind == kind)
    with store.connect() as db:
        return [_row(row) for row in db.execute(query)]


# -- writing -----------------------------------------------------------------------------


def normalise_value(value: str, kind: str) -> str:
    try:
        if kind == "address":
            return normalise_email(value)
        if kind == "domain":
            return normalise_domain(value)
    except InvalidAddressError as err:
        raise InputError(f"cannot suppress {value!r}: {err}", field=kind) from err
    if kind == "hash":
        return value.strip()
    raise InputError(f"unknown suppression kind {kind!r}", hint=f"kinds: {', '.join(KINDS)}")


def add_suppression(
    db: Connection,
    value: str,
    *,
    kind: str,
    reason: str,
    source: str | None,
    now: datetime,
) -> bool:
    """Insert unless present (idempotent); True when a new entry was made."""
    present = db.execute(
        select(suppressions.c.id).where(suppressions.c.kind == kind, suppressions.c.value == value)
    ).first()
    if present is not None:
        return False
    db.execute(
        insert(suppressions).values(
            kind=kind, value=value, reason=reason[:40], source=source, created_at=now
        )
    )
    return True


def add_address_suppressions(
    db: Connection, entries: list[tuple[str, str]], *, source: str | None, now: datetime
) -> int:
    """Insert many (address, reason) entries at once, skipping those present."""
    if not entries:
        return 0
    present = set(
        db.execute(
            select(suppressions.c.value).where(
                suppressions.c.kind == "address",
                among(db, suppressions.c.value, [address for address, _ in entries]),
            )
        ).scalars()
    )
    rows = [
        {"kind": "address", "value": a, "reason": r[:40], "source": source, "created_at": now}
        for a, r in entries
        if a not in present
    ]
    if rows:
        db.execute(insert(suppressions), rows)
    return len(rows)


def suppress(
    store: Store,
    value: str,
    *,
    kind: str,
    reason: str,
    source: str | None,
    now: datetime,
) -> bool:
    """Put an address or a domain on the suppression list. True when it was not there yet.

    The subscriber's own status is left alone: suppression is the stronger, separate
    rule that every send consults (see :func:`iter_recipients`).
    """
    normalised = normalise_value(value, kind)
    with store.begin() as db:
        return add_suppression(db, normalised, kind=kind, reason=reason, source=source, now=now)
