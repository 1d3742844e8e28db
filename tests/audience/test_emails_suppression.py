"""Addresses have one normal form; the suppression list matches address, domain, hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from email_validator import EmailNotValidError, validate_email

from varcomms import audience
from varcomms.addresses import InvalidAddressError, normalise_domain, normalise_email
from varcomms.errors import InputError
from varcomms.store import Store

NOW = datetime(2022, 2, 1, tzinfo=UTC)

ADDRESSES = [
    "J.Jansen@Rotterdam.NL",
    "  <piet@om.nl> ",
    "mailto:info@riec.nl",
    "o'neill+nieuws@example.org",
    "a..b@example.org",
    ".a@example.org",
    "a.@example.org",
    "a@b@example.org",
    "a b@example.org",
    '"a b"@example.org',
    "zoë@example.org",
    "x@münchen.de",
    "x@-bad-.nl",
    "x@localhost",
    "x@example",
    "x" * 65 + "@example.org",
    "x@" + "a" * 64 + ".nl",
    "@example.org",
    "user@[127.0.0.1]",
    "user@example..org",
    "Üser@Example.ORG",
    "first_last-99@sub.domain.example.co.uk",
]


@pytest.mark.parametrize("raw", ADDRESSES)
def test_normal_form_agrees_with_email_validator(raw: str) -> None:
    """The fast path for common addresses gives email-validator's own verdict."""
    candidate = raw.strip().strip("<>").strip().removeprefix("mailto:")
    try:
        expected: str | None = validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    try:
        got: str | None = normalise_email(raw)
    except InvalidAddressError:
        got = None
    assert got == (expected.lower() if expected else None)


def test_domains_for_the_suppression_list() -> None:
    assert normalise_domain(" @Spam.Example. ") == "spam.example"
    for bad in ("", "a@b.nl", "nodot", "two words.nl"):
        with pytest.raises(InvalidAddressError):
            normalise_domain(bad)


def test_suppress_is_idempotent_and_matches_case_insensitively(store: Store) -> None:
    assert audience.suppress(
        store, "Klacht@Example.org", kind="address", reason="complained", source="t", now=NOW
    )
    assert not audience.suppress(
        store, "klacht@example.org", kind="address", reason="complained", source="t", now=NOW
    )
    assert audience.is_suppressed(store, "KLACHT@example.ORG")
    assert not audience.is_suppressed(store, "ander@example.org")
    audience.suppress(store, "@example.org", kind="domain", reason="manual", source="t", now=NOW)
    entry = audience.find_suppression(store, "ander@Example.org")
    assert entry is not None and (entry.kind, entry.value) == ("domain", "example.org")
    assert not audience.is_suppressed(store, "ander@sub.example.org")  # exact domains only
    assert [e.kind for e in audience.list_suppressions(store)] == ["address", "domain"]


def test_suppress_refuses_nonsense(store: Store) -> None:
    with pytest.raises(InputError, match="cannot suppress"):
        audience.suppress(store, "geen adres", kind="address", reason="x", source=None, now=NOW)
    with pytest.raises(InputError, match="unknown suppression kind"):
        audience.suppress(store, "a@b.nl", kind="person", reason="x", source=None, now=NOW)


def test_set_status_never_resubscribes_without_a_confirmed_opt_in(store: Store) -> None:
    from sqlalchemy import insert

    from varcomms.errors import StateError
    from varcomms.store.schema import subscribers

    with store.begin() as db:
        db.execute(
            insert(subscribers).values(
                email="a@example.org", status="subscribed", created_at=NOW, updated_at=NOW
            )
        )
    assert audience.set_status(store, "A@example.org", "unsubscribed", now=NOW)
    assert not audience.set_status(store, "a@example.org", "unsubscribed", now=NOW)
    with pytest.raises(StateError, match="unsubscribed"):
        audience.set_status(store, "a@example.org", "subscribed", now=NOW)
    later = datetime(2022, 3, 1, tzinfo=UTC)
    assert audience.set_status(store, "a@example.org", "subscribed", now=later, confirmed=True)
    record = audience.get_subscriber(store, "a@example.org")
    assert (record.status, record.confirmed_at) == ("subscribed", later)
