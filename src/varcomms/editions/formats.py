"""The file formats editors write, as pydantic models.

``edition.yaml`` is :class:`EditionFile`. Every section file is a series of front
matter blocks, each followed by Markdown: an optional :class:`SectionHeader` (the block
with a ``section`` key) and then one :class:`ItemEntry` per item. Validation needs to
know the configured themes, brands and time zone; they come in through pydantic's
validation context (see :func:`context_for`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from varcomms.config import Config
from varcomms.models import EditionStatus, ItemKind, is_everyone

# \Z, not $: "$" also matches before a trailing newline, and "2099-07\n" would pass
# (F21). Ids and slugs name folders and files, so they are bounded in length too.
EDITION_ID = re.compile(r"^[0-9a-z][0-9a-z-]{0,63}\Z")
SECTION_SLUG = re.compile(r"^(?=.{1,64}\Z)[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# Section files with a fixed role; any other section is listed in edition.yaml.
FIXED_FILES = ("agenda", "campagne", "riec")
RESERVED_NAMES = frozenset({"edition", "intro", *FIXED_FILES})

_LOCAL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def context_for(config: Config) -> dict[str, Any]:
    return {
        "themes": frozenset(theme.slug for theme in config.themes),
        "brands": frozenset(config.brands),
        "tz": config.tz,
    }


def _tz(info: ValidationInfo) -> ZoneInfo:
    context = info.context or {}
    return context.get("tz") or ZoneInfo("Europe/Amsterdam")


# Dates outside these years are typing errors; near year 1 or 9999 the conversions
# between time zones overflow (F21).
YEARS = range(1900, 2201)


def parse_when(value: Any, tz: ZoneInfo) -> tuple[datetime, bool]:
    """A date or time as editors write it; naive times are local. Returns (aware, all_day)."""
    try:
        moment, all_day = _parse_when(value, tz)
    except OverflowError as err:
        raise ValueError(f"must be a date between {YEARS[0]} and {YEARS[-1]}") from err
    if moment.year not in YEARS:
        raise ValueError(f"must be a date between {YEARS[0]} and {YEARS[-1]}")
    return moment, all_day


def _parse_when(value: Any, tz: ZoneInfo) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=tz)
        return aware.astimezone(tz), False
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=tz), True
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = None
            for fmt in _LOCAL_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - local, zoned below
                    break
                except ValueError:
                    continue
        if parsed is not None:
            if len(text) == 10:
                return parsed.replace(tzinfo=tz), True
            return _parse_when(parsed, tz)
    raise ValueError("must be a date like 2022-02-15 or a time like '2022-02-15 14:00'")


def format_when(value: datetime, tz: ZoneInfo, *, all_day: bool = False) -> str:
    """How drafting writes a time: local wall-clock time, which editors read and edit."""
    local = value.astimezone(tz)
    return local.strftime("%Y-%m-%d" if all_day else "%Y-%m-%d %H:%M")


def _check_themes(values: list[str], info: ValidationInfo) -> list[str]:
    known = (info.context or {}).get("themes")
    if known is not None:
        for theme in values:
            if theme not in known:
                shown = ", ".join(sorted(known))
                raise ValueError(f"unknown theme {theme!r} (configured: {shown})")
    return values


def _check_brand(value: str | None, info: ValidationInfo) -> str | None:
    known = (info.context or {}).get("brands")
    if value is not None and known is not None and value not in known:
        raise ValueError(f"unknown brand {value!r} (configured: {', '.join(sorted(known))})")
    return value


def _check_url(value: str | None, *, schemes: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value.lower().startswith(tuple(f"{scheme}:" for scheme in schemes)):
        raise ValueError(f"must be an absolute {' or '.join(schemes)} URL")
    return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignOffRecord(_File):
    """A sign-off as written in edition.yaml, with the per-file hashes it covers."""

    role: Literal["var", "riec"]
    by: str = Field(min_length=1)
    at: datetime
    content_hash: str
    files: dict[str, str] = Field(default_factory=dict)

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any, info: ValidationInfo) -> datetime:
        return parse_when(value, _tz(info))[0]


class EditionFile(_File):
    """``edition.yaml``."""

    id: str
    number: int = Field(ge=1, le=9999)
    title: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    preheader: str = ""
    planned: datetime | None = None
    brands: list[str] = Field(default_factory=lambda: ["var", "riec"], min_length=1)
    kind: Literal["regular", "special"] = "regular"
    template: str | None = None
    audience: str | None = None
    sections: list[str] = Field(default_factory=list)
    status: EditionStatus = EditionStatus.DRAFT
    signoffs: list[SignOffRecord] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not EDITION_ID.match(value):
            raise ValueError("must be lowercase letters, digits and '-', like 2022-03")
        return value

    @field_validator("planned", mode="before")
    @classmethod
    def _planned(cls, value: Any, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        when, date_only = parse_when(value, _tz(info))
        if date_only:
            raise ValueError("needs a time as well, like '2022-02-01 09:00'")
        return when

    @field_validator("brands")
    @classmethod
    def _brands(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for brand in value:
            _check_brand(brand, info)
        if len(set(value)) != len(value):
            raise ValueError("a brand is listed twice")
        return value

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str | None) -> str | None:
        return None if is_everyone(value) else value

    @field_validator("sections")
    @classmethod
    def _sections(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for slug in value:
            if not SECTION_SLUG.match(slug):
                raise ValueError(f"section {slug!r}: use lowercase words joined by '-'")
            if slug in RESERVED_NAMES:
                raise ValueError(f"section {slug!r}: {slug}.md has its own role; leave it out")
            if slug in seen:
                raise ValueError(f"section {slug!r} is listed twice")
            seen.add(slug)
        return value


class SectionHeader(_File):
    """The optional first block of a section file: the section's title and audience."""

    section: str = Field(min_length=1)
    theme: str | None = None
    brand: str | None = None

    @field_validator("theme")
    @classmethod
    def _theme(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            _check_themes([value], info)
        return value

    @field_validator("brand")
    @classmethod
    def _brand(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_brand(value, info)


class ItemEntry(_File):
    """The front matter of one item; the Markdown below it is the summary."""

    title: str = Field(min_length=1)
    link: str | None = None
    image: str | None = None
    alt: str | None = None
    themes: list[str] = Field(default_factory=list)
    kind: ItemKind | None = None
    # Agenda items.
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    location: str | None = None
    ics: str | None = None
    # Where it came from: the pool item id and source name, kept for traceability.
    item: str | None = None
    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _date_only_is_all_day(cls, data: Any) -> Any:
        # "start: 2022-05-19" (no time) is an all-day event.
        if isinstance(data, dict) and "all_day" not in data:
            start = data.get("start")
            is_date = isinstance(start, date) and not isinstance(start, datetime)
            if is_date or (isinstance(start, str) and len(start.strip()) == 10):
                data = {**data, "all_day": True}
        return data

    @field_validator("title", "alt", "location", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value).strip() if isinstance(value, int | float) else value

    @field_validator("themes")
    @classmethod
    def _themes(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _check_themes(value, info)

    @field_validator("link", "ics")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return _check_url(value, schemes=("https", "http", "mailto"))

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        return _check_url(value, schemes=("https",))

    @field_validator("start", "end", mode="before")
    @classmethod
    def _when(cls, value: Any, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        return parse_when(value, _tz(info))[0]

    @field_validator("item", mode="before")
    @classmethod
    def _item_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value
