"""What the scheduler needs to know of each planned edition folder.

A pass runs every few minutes and reads every planned edition; checking sign-offs
hashes every file (and parses edition.yaml). So the state of a folder is cached
against the names, sizes and modification times of its files: an unchanged folder
costs a directory listing, and any edit, sign-off or status change is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from varcomms.config import Config
from varcomms.editions import check_signoffs, read_folder
from varcomms.editions.reader import EDITION_FILE
from varcomms.editions.signoff import required_roles
from varcomms.errors import VarcommsError
from varcomms.models import EditionStatus

Signature = tuple[tuple[str, int, int], ...]
_cache: dict[Path, tuple[Signature, EditionState]] = {}


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


def _signature(folder: Path) -> Signature | None:
    try:
        entries = []
        for path in folder.iterdir():
            stat = path.stat()
            entries.append((path.name, stat.st_mtime_ns, stat.st_size))
    except FileNotFoundError:
        return None
    if not any(name == EDITION_FILE for name, _, _ in entries):
        return None
    return tuple(sorted(entries))


def _read(config: Config, edition_id: str) -> EditionState:
    try:
        doc = read_folder(config, edition_id)
    except VarcommsError as err:
        return EditionState(edition_id, None, error=err.message)
    valid, voided = check_signoffs(doc)
    return EditionState(
        id=doc.id,
        status=doc.meta.status,
        planned=doc.meta.planned,
        brands=tuple(doc.meta.brands),
        signed=frozenset(record.role for record in valid),
        voided=frozenset(void.role for void in voided),
    )


def read_state(config: Config, edition_id: str) -> EditionState | None:
    """The edition's state, or None when it has no folder yet."""
    folder = config.newsletters_dir / edition_id
    signature = _signature(folder)
    if signature is None:
        _cache.pop(folder, None)
        return None
    cached = _cache.get(folder)
    if cached is not None and cached[0] == signature:
        return cached[1]
    state = _read(config, edition_id)
    _cache[folder] = (signature, state)
    return state


def read_states(
    config: Config, edition_ids: Iterable[str] | None = None
) -> dict[str, EditionState]:
    """The states of ``edition_ids`` (default: every folder) that have a folder."""
    if edition_ids is None:
        root = config.newsletters_dir
        edition_ids = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    found = {}
    for edition_id in edition_ids:
        state = read_state(config, edition_id)
        if state is not None:
            found[edition_id] = state
    return found
