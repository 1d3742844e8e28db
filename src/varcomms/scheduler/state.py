"""What the scheduler needs to know of each edition folder, read in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from varcomms.config import Config
from varcomms.editions import list_editions
from varcomms.editions.signoff import ROLE_LABELS, required_roles
from varcomms.models import EditionStatus

_ROLES = {label: role for role, label in ROLE_LABELS.items()}


@dataclass(frozen=True)
class EditionState:
    id: str
    status: EditionStatus | None
    planned: datetime | None = None
    brands: tuple[str, ...] = ()
    signed: frozenset[str] = frozenset()  # roles whose sign-off matches the content
    voided: frozenset[str] = frozenset()  # roles whose sign-off an edit has voided
    error: str | None = None

    @property
    def missing(self) -> list[str]:
        """Required roles without a valid sign-off."""
        return [role for role in required_roles(self.brands) if role not in self.signed]


def read_states(config: Config) -> dict[str, EditionState]:
    return {
        s.id: EditionState(
            id=s.id,
            status=s.status,
            planned=s.planned,
            brands=s.brands,
            signed=frozenset(_ROLES.get(label, label.lower()) for label in s.signed),
            voided=frozenset(_ROLES.get(label, label.lower()) for label in s.voided),
            error=s.error,
        )
        for s in list_editions(config)
    }
