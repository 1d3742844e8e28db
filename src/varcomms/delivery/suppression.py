"""Who must not get mail: the suppression list (addresses and whole domains)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from varcomms.store import Store
from varcomms.store.schema import suppressions


@dataclass(frozen=True, slots=True)
class Suppressions:
    addresses: frozenset[str] = field(default_factory=frozenset)
    domains: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def load(cls, store: Store) -> Suppressions:
        addresses: set[str] = set()
        domains: set[str] = set()
        with store.connect() as db:
            for kind, value in db.execute(select(suppressions.c.kind, suppressions.c.value)):
                if kind == "address":
                    addresses.add(value.strip().lower())
                elif kind == "domain":
                    domains.add(value.strip().lower().lstrip("@"))
        return cls(frozenset(addresses), frozenset(domains))

    def reason(self, address: str) -> str | None:
        """Why this (normalised) address is suppressed, or None."""
        if address in self.addresses:
            return "address on the suppression list"
        if address.rpartition("@")[2] in self.domains:
            return "domain on the suppression list"
        return None
