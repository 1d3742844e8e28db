"""Per-source memory between runs (table ``source_state``): validators and last outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from varcomms.sources.http import Validators
from varcomms.store import Store
from varcomms.store.schema import source_state


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    last_duration: float | None = None

    def validators_for(self, url: str | None) -> Validators:
        """Validators only for the URL they came from: a changed URL starts afresh."""
        if url is None or url != self.url:
            return Validators()
        return Validators(etag=self.etag, last_modified=self.last_modified)


def load_states(store: Store, names: Iterable[str]) -> dict[str, SourceState]:
    wanted = list(names)
    with store.connect() as db:
        rows = db.execute(select(source_state).where(source_state.c.name.in_(wanted))).all()
    return {row.name: SourceState(**row._asdict()) for row in rows}


def save_state(store: Store, state: SourceState) -> None:
    values = {
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "last_fetched_at": state.last_fetched_at,
        "last_status": state.last_status,
        "last_error": state.last_error,
        "last_duration": state.last_duration,
    }
    with store.begin() as db:
        updated = db.execute(
            source_state.update().where(source_state.c.name == state.name).values(**values)
        )
        if updated.rowcount == 0:
            db.execute(source_state.insert().values(name=state.name, **values))
