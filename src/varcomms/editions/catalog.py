"""All editions in the newsletters folder, each summarised; a broken one is listed too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from varcomms.config import Config
from varcomms.editions.formats import EDITION_ID
from varcomms.editions.reader import EDITION_FILE, read_folder
from varcomms.editions.signoff import ROLE_LABELS, check_signoffs
from varcomms.errors import VarcommsError
from varcomms.models import EditionStatus


@dataclass(frozen=True)
class EditionSummary:
    id: str
    number: int | None = None
    title: str | None = None
    status: EditionStatus | None = None
    planned: datetime | None = None
    brands: tuple[str, ...] = ()
    kind: str | None = None
    items: int = 0
    signed: tuple[str, ...] = ()
    voided: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "status": self.status.value if self.status else None,
            "planned": self.planned.isoformat() if self.planned else None,
            "brands": list(self.brands),
            "kind": self.kind,
            "items": self.items,
            "signed": list(self.signed),
            "voided": list(self.voided),
            "error": self.error,
        }


def list_editions(config: Config) -> list[EditionSummary]:
    """Every edition folder, oldest planned first; unreadable ones carry their error."""
    root = config.newsletters_dir
    if not root.is_dir():
        return []
    found: list[EditionSummary] = []
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or not EDITION_ID.match(folder.name):
            continue
        if not (folder / EDITION_FILE).is_file():
            continue
        try:
            doc = read_folder(config, folder.name)
        except VarcommsError as err:
            found.append(EditionSummary(id=folder.name, error=err.message))
            continue
        valid, voided = check_signoffs(doc)
        found.append(
            EditionSummary(
                id=doc.id,
                number=doc.meta.number,
                title=doc.meta.title,
                status=doc.meta.status,
                planned=doc.meta.planned,
                brands=tuple(doc.meta.brands),
                kind=doc.meta.kind,
                items=sum(len(section.items) for section in doc.all_sections),
                signed=tuple(ROLE_LABELS[record.role] for record in valid),
                voided=tuple(ROLE_LABELS[void.role] for void in voided),
            )
        )
    far_future = datetime.max.replace(tzinfo=config.tz)
    found.sort(key=lambda s: (s.planned or far_future, s.id))
    return found
