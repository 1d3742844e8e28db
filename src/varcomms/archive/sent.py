"""Which editions belong in the archive, and when each went out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from varcomms.config import Config
from varcomms.editions import list_editions, load_edition
from varcomms.models import Edition, EditionStatus
from varcomms.store import Store
from varcomms.store.schema import sends


@dataclass(frozen=True, slots=True)
class SentEdition:
    edition: Edition
    sent_at: datetime  # when the real send finished, or the planned time without a record

    @property
    def id(self) -> str:
        return self.edition.id


def sent_editions(config: Config, store: Store) -> list[SentEdition]:
    """Every edition whose folder says ``sent``, newest first.

    The folder is the truth about the status; the send ledger says when it went out (a
    test send never counts). An edition without a send record (sent by another tool, or
    the ledger was reset) is dated by its planned time.
    """
    finished = _finish_times(store)
    found = []
    for summary in list_editions(config):
        if summary.status is not EditionStatus.SENT:
            continue
        edition = load_edition(config, summary.id)
        sent_at = finished.get(edition.id) or edition.planned
        if sent_at is None:
            continue  # nothing to date it by: it cannot be placed in the index or feed
        found.append(SentEdition(edition, sent_at))
    found.sort(key=lambda entry: (entry.sent_at, entry.id), reverse=True)
    return found


def _finish_times(store: Store) -> dict[str, datetime]:
    query = (
        select(sends.c.edition_id, func.min(sends.c.finished_at))
        .where(sends.c.is_test.is_(False), sends.c.finished_at.is_not(None))
        .group_by(sends.c.edition_id)
    )
    with store.engine.connect() as connection:
        return {edition_id: at for edition_id, at in connection.execute(query) if at}
