"""``kind = "manual"``: Markdown files with YAML front matter, for what no feed carries.

A file in the source's folder looks like::

    ---
    title: "Vriend-in-nood-fraude: kinderen via WhatsApp nagedaan"
    url: https://www.politie.nl/themas/vriend-in-nood-fraude.html
    date: 2022-01-19T09:00:00+01:00
    kind: campaign            # news | campaign | event (default: manual)
    themes: [cybercriminaliteit]
    image: https://www.politie.nl/binaries/vriend-in-nood.jpg
    image_alt: Telefoon met een WhatsApp-bericht
    # events also: start, end, all_day, location
    ---
    The summary, in Markdown.

The file name is the item's key, unless the front matter gives an ``id``. A broken file
is reported with its name and line and the other files still land.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from varcomms import safeyaml
from varcomms.config import SourceConfig
from varcomms.errors import InputError, SourceError
from varcomms.models import EventInfo, Item, ItemKind
from varcomms.safefiles import read_text_inside
from varcomms.sanitize import absolute_url, sanitize_html
from varcomms.sources.base import FetchResult, SourceEnv, ignore_reason, local_path, register
from varcomms.sources.feeds import TITLE_MAX, plain_text
from varcomms.sources.http import Validators

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    id: str | None = None
    url: str | None = None
    # The field named ``date`` would shadow the type in the annotations below it (they
    # then read ``datetime | None``, and a date-only start was never all-day): the types
    # are therefore always spelled through the module.
    date: dt.datetime | dt.date | None = None
    kind: Literal["news", "campaign", "event", "manual"] | None = None
    themes: tuple[str, ...] = ()
    image: str | None = None
    image_alt: str | None = None
    start: dt.datetime | dt.date | None = None
    end: dt.datetime | dt.date | None = None
    all_day: bool | None = None
    location: str | None = None

    @field_validator("themes", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


@register("manual", location="folder")
class MarkdownFolder:
    def __init__(
        self,
        config: SourceConfig,
        env: SourceEnv,
        validators: Validators,
        *,
        default_kind: ItemKind = ItemKind.MANUAL,
    ) -> None:
        self.config = config
        self.env = env
        self.default_kind = default_kind

    def fetch(self) -> FetchResult:
        folder = local_path(self.config, self.env.config)
        if folder is None or not folder.is_dir():
            raise SourceError(
                f"{folder or self.config.url}: not a folder",
                hint="a manual source's path is a folder of Markdown files",
            )
        batch = FetchResult()
        for path in sorted(folder.glob("*.md")):
            try:
                item, warnings = self.read(path)
            except InputError as err:
                batch.warnings.append(str(err))
                continue
            batch.warnings.extend(warnings)
            reason = ignore_reason(item, self.env)
            if reason is None:
                batch.items.append(item)
            else:
                batch.ignored[reason] += 1
        return batch

    def read(self, path: Path) -> tuple[Item, list[str]]:
        """One Markdown file as an Item, with warnings; InputError when unusable."""
        try:
            # A plain file of the folder itself: never a link out of it (F5).
            text = read_text_inside(path, path.parent, encoding="utf-8")
        except OSError as err:
            raise InputError(f"cannot read: {err.strerror or err}", path=path) from err
        match = _FRONT_MATTER.match(text)
        if match is None:
            raise InputError(
                "no front matter", path=path, line=1, hint="start the file with a '---' block"
            )
        try:
            raw = safeyaml.safe_load(match.group(1)) or {}
        except safeyaml.UnsafeYamlError as err:
            line = err.line + 1 if err.line else None
            raise InputError(f"front matter: {err.message}", path=path, line=line) from err
        except yaml.MarkedYAMLError as err:
            # The context mark (where the broken construct began) is what an editor
            # needs for an unclosed list or quote; front matter starts on line 2.
            mark = err.context_mark or err.problem_mark
            line = mark.line + 2 if mark else None
            raise InputError(
                f"front matter is not valid YAML: {err.problem}", path=path, line=line
            ) from err
        if not isinstance(raw, dict):
            raise InputError("front matter must be a mapping of keys", path=path, line=2)
        try:
            meta = FrontMatter.model_validate(raw)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            key = ".".join(str(p) for p in first["loc"])
            message = "required key is missing" if first["type"] == "missing" else first["msg"]
            if first["type"] == "extra_forbidden":
                message = "unknown key"
            line = _line_of(match.group(1), key)
            raise InputError(message, path=path, line=line, field=key) from err
        return self._item(path, meta, text[match.end() :])

    def _item(self, path: Path, meta: FrontMatter, body: str) -> tuple[Item, list[str]]:
        warnings: list[str] = []
        kind = ItemKind(meta.kind) if meta.kind else self.default_kind
        tz = self.env.config.tz
        url = absolute_url(meta.url, None) if meta.url else None
        if meta.url and url is None:
            warnings.append(f"{path}: url: not an http(s) URL; left out")
        summary_html = sanitize_html(_markdown.render(body.strip()), base_url=url)
        unknown = [t for t in meta.themes if t not in self.env.tagger.known]
        if unknown:
            warnings.append(f"{path}: themes: unknown theme(s) {', '.join(unknown)}; left out")
        event = None
        if kind is ItemKind.EVENT:
            if meta.start is None:
                raise InputError("an event needs 'start'", path=path, field="start")
            all_day = meta.all_day if meta.all_day is not None else _is_date(meta.start)
            start = _utc(meta.start, tz)
            end = _utc(meta.end, tz) if meta.end is not None else None
            event = EventInfo(
                start=start,
                end=end if end and end >= start else None,
                all_day=all_day,
                location=meta.location,
                uid=meta.id or path.stem,
            )
        image = absolute_url(meta.image, url) if meta.image else None
        themes = self.env.tagger.themes_for(
            self.config,
            text=f"{meta.title}\n{plain_text(summary_html)}",
            explicit=meta.themes,
        )
        key = meta.id or path.stem
        item = Item(
            id=Item.make_id(self.config.name, key),
            source=self.config.name,
            kind=kind,
            title=meta.title.strip()[:TITLE_MAX],
            url=url or "",
            summary_html=summary_html,
            published=_utc(meta.date, tz) if meta.date is not None else None,
            image_url=image,
            image_alt=(meta.image_alt or meta.title) if image else None,
            themes=themes,
            guid=key,
            brand=self.config.brand,
            event=event,
        )
        return item, warnings


def _is_date(value: dt.datetime | dt.date) -> bool:
    return not isinstance(value, dt.datetime)


def _utc(value: dt.datetime | dt.date, tz: Any) -> dt.datetime:
    """A front-matter date as UTC; dates and naive times are local (config time zone)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0, 0), tzinfo=tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC)


def _line_of(front_matter: str, key: str) -> int | None:
    """The file line of a top-level key (front matter starts on line 2)."""
    top = key.split(".", 1)[0]
    for number, line in enumerate(front_matter.splitlines(), start=2):
        if line.startswith(f"{top}:"):
            return number
    return 2 if top else None
