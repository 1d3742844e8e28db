"""Personal values that reach the wire: clean names (D10), keyed Message-IDs (F10),
addresses in a form every provider takes (D6)."""

from __future__ import annotations

import hashlib

import pytest

from tests.delivery.conftest import SIGNING_KEY
from varcomms.addresses import InvalidAddressError, normalise_email
from varcomms.config import Config
from varcomms.context import Context
from varcomms.delivery.personalise import (
    Personaliser,
    UnsendableAddressError,
    recipient_key,
    wire_address,
)
from varcomms.delivery.providers.payload import provider_address
from varcomms.models import Recipient
from varcomms.tokens import TokenSigner


def personaliser(config: Config, key: str = SIGNING_KEY) -> Personaliser:
    return Personaliser(config, TokenSigner(key), "2022-02")


def test_the_model_cleans_names_whatever_wrote_them() -> None:
    person = Recipient(
        email="jan@example.org",
        variant="algemeen",
        name="Jan\r\nBcc: x@evil.test",
        first_name="\u2028Jan\x00",
    )
    assert person.name == "Jan Bcc: x@evil.test" and person.first_name == "Jan"
    assert Recipient(email="a@b.nl", variant="v", name=" \r\n ").name is None


def test_provider_fields_quote_names_so_they_never_add_a_recipient(ctx: Context) -> None:
    person = Recipient(email="p@example.org", variant="algemeen", name='Jansen, "Piet"')
    message = personaliser(ctx.config).message(person, "p@example.org", "algemeen")
    assert provider_address(message) == '"Jansen, \\"Piet\\"" <p@example.org>'
    unicode = Recipient(email="r@example.org", variant="algemeen", name="Renée de Groot")
    message = personaliser(ctx.config).message(unicode, "r@example.org", "algemeen")
    assert provider_address(message) == "Renée de Groot <r@example.org>"  # not RFC 2047


def test_message_ids_are_keyed_so_the_ledger_holds_no_hash_of_an_address(ctx: Context) -> None:
    key = "karim.elamrani@vlaardingen.example.org"
    ours = personaliser(ctx.config).message_id(key)
    unkeyed = hashlib.sha256(f"2022-02\x00{key}".encode()).hexdigest()[:24]
    assert unkeyed not in ours
    assert ours == personaliser(ctx.config).message_id(key)  # stable: resends match
    assert ours != personaliser(ctx.config, "another-signing-key-0123").message_id(key)


def test_idn_domains_go_out_in_ascii_and_broken_addresses_fail_alone() -> None:
    assert wire_address("Info@Bücher.example") == "info@xn--bcher-kva.example"
    assert wire_address("ñoño@example.org") == "ñoño@example.org"  # SMTPUTF8 decides
    for bad in ("no-at-sign", "a b@example.org", "x@exa mple.org", "x@bü_cher.example"):
        with pytest.raises(UnsendableAddressError):
            wire_address(bad)


def test_delivery_uses_the_audience_normal_form() -> None:
    """One normaliser: what the audience would refuse cannot be sent, and a pasted
    address becomes the same key the audience stores it under."""
    for refused in ("jan..jansen@example.org", "jan@-example.org", "jan@example"):
        with pytest.raises(InvalidAddressError):
            normalise_email(refused)
        with pytest.raises(UnsendableAddressError):
            wire_address(refused)
    assert recipient_key(" <Jan@Example.ORG> ") == normalise_email("jan@example.org")
    assert wire_address("mailto:Jan@Example.org") == "jan@example.org"
