"""Per-recipient values: greeting, signed links, list headers and our Message-ID.

A rendered variant carries placeholders (:data:`varcomms.models.PERSONAL_FIELDS`);
this module computes what goes in them for one person, plus the headers that must be
personal too (``List-Unsubscribe`` points at that person's signed link). Escaping is the
MIME builder's and the providers' business: values here are plain text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import quote

from varcomms.config import Config
from varcomms.delivery.providers.base import Message
from varcomms.models import PERSONAL_FIELDS, Recipient
from varcomms.tokens import TokenSigner

# What a greeting says when we do not know the name: "Beste lezer," reads naturally.
NEUTRAL_GREETING_NAME = "lezer"
ONE_CLICK = "List-Unsubscribe=One-Click"


def normalise_address(email: str) -> str:
    return email.strip().lower()


def recipient_key(email: str, *, test_send_id: str | None = None) -> str:
    """The ledger key: the address, or for a test send the address scoped to that send."""
    address = normalise_address(email)
    return f"test:{test_send_id}:{address}" if test_send_id else address


def greeting_name(recipient: Recipient) -> str:
    for candidate in (recipient.first_name, recipient.name):
        if candidate and candidate.strip():
            return candidate.strip()
    return NEUTRAL_GREETING_NAME


def message_id_for(edition_id: str, key: str, domain: str) -> str:
    """A Message-ID on our domain, the same for the same person and edition.

    Stable, so a message re-sent after an uncertain crash carries the same id and
    receiving systems can recognise it; not guessable from the address (hashed).
    """
    digest = hashlib.sha256(f"{edition_id}\x00{key}".encode()).hexdigest()[:24]
    return f"<{edition_id}.{digest}@{domain}>"


@dataclass(frozen=True, slots=True)
class Personal:
    """Everything personal about one message."""

    values: dict[str, str]  # personal field name -> plain value
    to_header: str
    message_id: str
    list_unsubscribe: str


class Personaliser:
    """Computes :class:`Personal` values for the recipients of one edition."""

    def __init__(self, config: Config, signer: TokenSigner, edition_id: str) -> None:
        self._urls = config.urls
        self._signer = signer
        self._edition_id = edition_id
        self._domain = config.sender.message_id_domain
        self._unsubscribe_mailbox = f"afmelden@{self._domain}"
        self._web_url = f"{config.urls.web_base}/{quote(edition_id)}/"

    def message_id(self, key: str) -> str:
        return message_id_for(self._edition_id, key, self._domain)

    def message(self, recipient: Recipient, key: str, variant: str) -> Message:
        personal = self.for_recipient(recipient, key)
        return Message(
            key=key,
            email=normalise_address(recipient.email),
            to_header=personal.to_header,
            name=recipient.name or recipient.first_name,
            message_id=personal.message_id,
            values=personal.values,
            headers=[("List-Unsubscribe", personal.list_unsubscribe)],
        )

    def for_recipient(self, recipient: Recipient, key: str) -> Personal:
        email = normalise_address(recipient.email)
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
        display = recipient.name or recipient.first_name
        return Personal(
            values=values,
            to_header=formataddr((display, email), charset="utf-8") if display else email,
            message_id=message_id_for(self._edition_id, key, self._domain),
            list_unsubscribe=f"<{unsubscribe_url}>, <{mailto}>",
        )


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every placeholder in ``template`` (no escaping: for plain text)."""
    for name, placeholder in PERSONAL_FIELDS.items():
        if placeholder in template:
            template = template.replace(placeholder, values[name])
    return template
