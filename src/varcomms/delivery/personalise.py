"""Per-recipient values: greeting, signed links, list headers and our Message-ID.

A rendered variant carries placeholders (:data:`varcomms.models.PERSONAL_FIELDS`);
this module computes what goes in them for one person, plus the headers that must be
personal too (``List-Unsubscribe`` points at that person's signed link). Escaping is the
MIME builder's and the providers' business: values here are plain text.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import formataddr
from urllib.parse import quote

import idna

from varcomms.addresses import InvalidAddressError, fold, normalise_email
from varcomms.config import Config
from varcomms.delivery.providers.base import Message
from varcomms.models import PERSONAL_FIELDS, Recipient, clean_name
from varcomms.tokens import TokenSigner

# What a greeting says when we do not know the name: "Beste lezer," reads naturally.
NEUTRAL_GREETING_NAME = "lezer"
ONE_CLICK = "List-Unsubscribe=One-Click"


class UnsendableAddressError(Exception):
    """This one address cannot go out as it is; its row fails alone, with this reason."""


def clean_display_name(name: str | None) -> str | None:
    """A name safe for any header or API field (see :func:`varcomms.models.clean_name`);
    applied again here for names that reach delivery without a :class:`Recipient`."""
    return clean_name(name)


def sendable(email: str) -> str:
    """The address in its normal form (:func:`varcomms.addresses.normalise_email`);
    :class:`UnsendableAddressError` if it does not normalise, so it is not an address."""
    try:
        return normalise_email(email)
    except InvalidAddressError as err:
        raise UnsendableAddressError(f"not an email address: {email!r} ({err})") from err


def wire_address(email: str) -> str:
    """The address as it goes out: an IDN domain in its ASCII (``xn--``) form, which
    every provider accepts. A non-ASCII local part stays as it is (SMTPUTF8 only)."""
    return _on_the_wire(sendable(email))


def _on_the_wire(address: str) -> str:
    """:func:`wire_address` for an address already in its normal form."""
    local, _, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as err:
        raise UnsendableAddressError(f"the domain of {address!r} is not valid: {err}") from err
    return f"{local}@{domain}"


def to_header(name: str | None, address: str) -> str:
    """``To:`` for the MIME message: only the name is RFC 2047-encoded, never the address.
    An address with a non-ASCII local part is written as UTF-8 (RFC 6532, for SMTPUTF8)."""
    if not name:
        return address
    local, _, domain = address.rpartition("@")
    if local.isascii():
        return formataddr((name, address), charset="utf-8")
    return str(Address(display_name=name, username=local, domain=domain))


def recipient_key(email: str, *, test_send_id: str | None = None) -> str:
    """The ledger key: the address, or for a test send the address scoped to that send."""
    address = fold(email)
    return f"test:{test_send_id}:{address}" if test_send_id else address


def greeting_name(recipient: Recipient) -> str:
    for candidate in (recipient.first_name, recipient.name):
        cleaned = clean_display_name(candidate)
        if cleaned:
            return cleaned
    return NEUTRAL_GREETING_NAME


def message_id_for(edition_id: str, key: str, domain: str, *, salt: bytes) -> str:
    """A Message-ID on our domain, the same for the same person and edition.

    Stable, so a message re-sent after an uncertain crash carries the same id and
    receiving systems can recognise it. Keyed with a secret ``salt``: without it, the id
    in the ledger (kept after an erasure) cannot be recomputed from a guessed address.
    """
    digest = hmac.new(salt, f"{edition_id}\x00{key}".encode(), hashlib.sha256).hexdigest()[:24]
    return f"<{edition_id}.{digest}@{domain}>"


def message_id_salt(signer: TokenSigner) -> bytes:
    """A secret for Message-IDs, derived from the signing key (so nothing new to manage)."""
    return signer.sign("preferences", "varcomms.message-id-salt").encode()


@dataclass(frozen=True, slots=True)
class Personal:
    """Everything personal about one message."""

    values: dict[str, str]  # personal field name -> plain value
    address: str  # as it goes out (see wire_address)
    to_header: str
    message_id: str
    list_unsubscribe: str


class Personaliser:
    """Computes :class:`Personal` values for the recipients of one edition."""

    def __init__(
        self, config: Config, signer: TokenSigner, edition_id: str, *, salt: bytes | None = None
    ) -> None:
        self._salt = salt if salt is not None else message_id_salt(signer)
        self._urls = config.urls
        self._signer = signer
        self._edition_id = edition_id
        self._domain = config.sender.message_id_domain
        self._unsubscribe_mailbox = f"afmelden@{self._domain}"
        self._web_url = f"{config.urls.web_base}/{quote(edition_id)}/"

    def message_id(self, key: str) -> str:
        return message_id_for(self._edition_id, key, self._domain, salt=self._salt)

    def message(self, recipient: Recipient, key: str, variant: str) -> Message:
        """One personal message; :class:`UnsendableAddressError` if the address cannot go."""
        personal = self.for_recipient(recipient, key)
        return Message(
            key=key,
            email=personal.address,
            to_header=personal.to_header,
            name=clean_display_name(recipient.name or recipient.first_name),
            message_id=personal.message_id,
            values=personal.values,
            headers=[("List-Unsubscribe", personal.list_unsubscribe)],
        )

    def for_recipient(self, recipient: Recipient, key: str) -> Personal:
        # Normalised once per person: the tokens and the wire address both start from it.
        email = sendable(recipient.email)
        address = _on_the_wire(email)
        sid = recipient.subscriber_id
        unsubscribe_token = self._signer.sign(
            "unsubscribe", email, subscriber_id=sid, edition_id=self._edition_id
        )
        preferences_token = self._signer.sign("preferences", email, subscriber_id=sid)
        unsubscribe_url = f"{self._urls.unsubscribe_base}/{unsubscribe_token}"
        values = {
            "greeting_name": greeting_name(recipient),
            "unsubscribe_url": unsubscribe_url,
            "preferences_url": f"{self._urls.preferences_base}/{preferences_token}",
            "web_url": self._web_url,
        }
        mailto = f"mailto:{self._unsubscribe_mailbox}?subject=afmelden%20{unsubscribe_token}"
        display = clean_display_name(recipient.name or recipient.first_name)
        return Personal(
            values=values,
            address=address,
            to_header=to_header(display, address),
            message_id=self.message_id(key),
            list_unsubscribe=f"<{unsubscribe_url}>, <{mailto}>",
        )


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every placeholder in ``template`` (no escaping: for plain text)."""
    for name, placeholder in PERSONAL_FIELDS.items():
        if placeholder in template:
            template = template.replace(placeholder, values[name])
    return template
