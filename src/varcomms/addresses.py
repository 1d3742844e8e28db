"""Email addresses: one normal form, so a person is one row however they typed it.

Every place that compares, stores or signs an address goes through this module: the
audience (import, lookup, erasure), the tokens in links, and delivery (the ledger key,
the suppression check, the address on the wire). An address that does not normalise is
not an address. It is a leaf module (no database), so every stage may use it.

Validation is syntax only (email-validator without DNS): an import must not depend on
the network, and a mailbox that does not exist shows up as a bounce, not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email_validator import ValidatedEmail


class InvalidAddressError(ValueError):
    """An address that cannot be mailed; the message says why, in plain words."""


# An unquoted ASCII local part (RFC 5322 dot-atom): all email-validator checks for one
# are these characters, the dots and the length. Almost every real address is one.
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


def _validate(address: str) -> ValidatedEmail:
    """email-validator's verdict on the syntax, or :class:`InvalidAddressError`."""
    # Imported on first use: it takes tens of milliseconds, and the commands that only
    # read (`audience count`, `send status`) compare no address a person typed.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False)
    except EmailNotValidError as err:
        raise InvalidAddressError(str(err)) from err


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The normalised domain, validated once per domain (an import has few of them)."""
    try:
        return _validate(f"a@{domain}").domain
    except InvalidAddressError:
        return None


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
    # Fast path, same verdict: the domain is validated by email-validator (cached) and
    # a plain local part needs only the dot-atom rule. Anything else takes the full check.
    local, at, domain = candidate.rpartition("@")
    if at and len(local) <= 64 and _DOT_ATOM.match(local):
        checked = _checked_domain(domain)
        if checked is not None and len(local) + 1 + len(checked) <= 254:
            return f"{local}@{checked}".lower()
    return _validate(candidate).normalized.lower()


def spellings(address: str) -> tuple[str, ...]:
    """Every form a normalised address may be stored in: as normalised (Unicode domain)
    and, for an internationalised domain, its ASCII (IDNA) form too."""
    forms = [address]
    try:
        ascii_form = _validate(address).ascii_email
    except InvalidAddressError:
        ascii_form = None
    if ascii_form and ascii_form.lower() != address:
        forms.append(ascii_form.lower())
    return tuple(forms)


def whole_address(forms: Iterable[str]) -> re.Pattern[str]:
    """Matches one of these addresses only where it stands as a whole token in text.

    ``jan@example.org`` is found in "mail jan@example.org." but not inside
    ``marjan@example.org`` or ``jan@example.org.uk``.
    """
    choices = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w.+\-=/'&%$#!?^`{{|}}~*])(?:{choices})(?!\.?[\w\-])", re.I)


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
