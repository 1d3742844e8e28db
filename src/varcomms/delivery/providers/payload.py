"""Pieces every HTTP provider's payload needs: addresses and escaped personal values."""

from __future__ import annotations

import html
from email.headerregistry import Address

from varcomms.delivery.providers.base import Message


def provider_address(message: Message) -> str:
    """``Name <address>`` for a JSON or form field: the name in Unicode (the API encodes
    it for the header; RFC 2047 here would show as ``=?utf-8?…`` to the reader), quoted
    where needed, so a comma or quote in a name can never add a recipient."""
    if not message.name:
        return message.email
    local, _, domain = message.email.rpartition("@")
    return str(Address(display_name=message.name, username=local, domain=domain))


def escaped_values(values: dict[str, str], *, html_suffix: str) -> dict[str, str]:
    """Each personal value twice: as is (for text) and HTML-escaped (name + suffix)."""
    result: dict[str, str] = {}
    for name, value in values.items():
        result[name] = value
        result[f"{name}{html_suffix}"] = html.escape(value)
    return result
