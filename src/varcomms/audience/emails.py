"""Email addresses: one normal form, so a person is one row however they typed it.

Validation is syntax only (email-validator without DNS): an import must not depend on
the network, and a mailbox that does not exist shows up as a bounce, not here.
"""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email


class InvalidAddressError(ValueError):
    """An address that cannot be mailed; the message says why, in plain words."""


@lru_cache(maxsize=8192)
def _validated(candidate: str) -> str:
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as err:
        raise InvalidAddressError(str(err)) from err
    return result.normalized


def normalise_email(raw: str) -> str:
    """The stored form of an address: trimmed, validated, lower-case throughout.

    Local parts are case-sensitive in theory but never in practice; folding the whole
    address is what makes "J.Jansen@Rotterdam.nl" and "j.jansen@rotterdam.nl" one person.
    A ``mailto:`` prefix and angle brackets (pasted from a mail client) are removed.
    """
    candidate = raw.strip().strip("<>").strip()
    if candidate.lower().startswith("mailto:"):
        candidate = candidate[len("mailto:") :]
    if not candidate:
        raise InvalidAddressError("the address is empty")
    return _validated(candidate).lower()


def fold(raw: str) -> str:
    """A best-effort lower-case form for addresses that may not validate (erase, lookup)."""
    try:
        return normalise_email(raw)
    except InvalidAddressError:
        return raw.strip().lower()


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1]


def normalise_domain(raw: str) -> str:
    """A domain for the suppression list: lower-case, without a leading "@" or dot."""
    domain = raw.strip().lower().lstrip("@").rstrip(".")
    if not domain or "@" in domain or "." not in domain or " " in domain:
        raise InvalidAddressError(f"{raw!r} is not a domain name")
    return domain
