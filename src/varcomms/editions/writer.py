"""Write edition files: a fresh folder, items appended to a section, workflow fields.

Writes are atomic (a temporary file renamed over the old one), so a crash never leaves
half a file. Existing files are changed surgically: items are appended, and only the
``status``/``signoffs``/``sections`` keys of ``edition.yaml`` are rewritten, keeping
every comment and line an editor wrote elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from varcomms.editions.formats import EditionFile, SignOffRecord, format_when
from varcomms.editions.markdown import html_to_markdown
from varcomms.editions.reader import EDITION_FILE
from varcomms.editions.yamlio import dump_yaml, replace_top_level_keys
from varcomms.models import EditionStatus, Item, ItemKind
from varcomms.safefiles import read_text_inside

EDITION_HEADER = """\
# Edition settings. Times are Europe/Amsterdam. `status` and `signoffs` are written by
# varcomms (edition approve / reopen); edit the rest freely. See docs/editions.md.
"""


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _front_matter(data: Mapping[str, Any]) -> str:
    fields = {key: value for key, value in data.items() if value not in (None, [], False)}
    return f"---\n{dump_yaml(fields)}---\n"


def section_header(title: str, *, theme: str | None = None, brand: str | None = None) -> str:
    return _front_matter({"section": title, "theme": theme, "brand": brand})


def item_block(item: Item, tz: ZoneInfo) -> str:
    """An item as editors see it: front matter, then the summary as Markdown."""
    data: dict[str, Any] = {
        "title": item.title,
        "link": item.url or None,
        "image": item.image_url if item.image_url and item.image_url.startswith("https:") else None,
        "alt": item.image_alt if item.image_url else None,
        "themes": list(item.themes),
    }
    if item.kind is ItemKind.MANUAL:
        data["kind"] = "manual"
    if item.event is not None:
        event = item.event
        data["start"] = format_when(event.start, tz, all_day=event.all_day)
        data["end"] = format_when(event.end, tz, all_day=event.all_day) if event.end else None
        data["location"] = event.location
        data["ics"] = event.ics_url
    data["item"] = item.id
    data["source"] = item.source
    summary = html_to_markdown(item.summary_html)
    return _front_matter(data) + (f"{summary}\n" if summary else "") + "\n"


def section_text(header: str, items: Iterable[Item], tz: ZoneInfo, *, intro: str = "") -> str:
    parts = [header]
    if intro:
        parts.append(f"{intro}\n")
    parts.append("\n")
    parts.extend(item_block(item, tz) for item in items)
    return "".join(parts).rstrip("\n") + "\n"


def append_items(path: Path, items: Sequence[Item], tz: ZoneInfo) -> None:
    text = read_text_inside(path, path.parent)
    addition = "".join(item_block(item, tz) for item in items)
    write_atomic(path, text.rstrip("\n") + "\n\n" + addition.rstrip("\n") + "\n")


def edition_yaml(meta: EditionFile, tz: ZoneInfo) -> str:
    data: dict[str, Any] = {
        "id": meta.id,
        "number": meta.number,
        "title": meta.title,
        "subject": meta.subject,
        "preheader": meta.preheader,
        "planned": format_when(meta.planned, tz) if meta.planned else None,
        "brands": list(meta.brands),
        "kind": meta.kind,
        "template": meta.template,
        "audience": meta.audience or "all",
        "sections": list(meta.sections),
    }
    body = dump_yaml(data)
    workflow = dump_yaml(workflow_fields(meta.status, meta.signoffs, tz))
    return f"{EDITION_HEADER}{body}\n{workflow}"


def workflow_fields(
    status: EditionStatus, signoffs: Sequence[SignOffRecord], tz: ZoneInfo
) -> dict[str, Any]:
    return {
        "status": status.value,
        "signoffs": [_signoff_data(record, tz) for record in signoffs],
    }


def _signoff_data(record: SignOffRecord, tz: ZoneInfo) -> dict[str, Any]:
    at: datetime = record.at.astimezone(tz)
    return {
        "role": record.role,
        "by": record.by,
        "at": at.isoformat(timespec="seconds"),
        "content_hash": record.content_hash,
        "files": dict(record.files),
    }


def update_edition_yaml(folder: Path, updates: Mapping[str, Any]) -> None:
    path = folder / EDITION_FILE
    text = read_text_inside(path, folder)
    write_atomic(path, replace_top_level_keys(text, updates, path))


def write_workflow(
    folder: Path, status: EditionStatus, signoffs: Sequence[SignOffRecord], tz: ZoneInfo
) -> None:
    update_edition_yaml(folder, workflow_fields(status, signoffs, tz))
