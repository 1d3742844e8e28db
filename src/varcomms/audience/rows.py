"""One CSV record → one validated :class:`Candidate`, or a :class:`RowError` saying why not.

Values a row does not give stay ``None``: an import fills in and corrects, it never
blanks out what is already known because a column was empty or missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from varcomms.addresses import InvalidAddressError, normalise_email
from varcomms.config import Config
from varcomms.models import OrgType, SubscriberStatus

from .mappings import BoundMapping
from .spreadsheet import restore

MAX_LENGTHS = {
    "name": 200,
    "first_name": 100,
    "organisation": 200,
    "municipality": 100,
    "consent_source": 200,
}

# What people write in an "organisation type" column, folded; the canonical values
# (models.OrgType) are accepted as well.
ORG_TYPE_ALIASES = {
    "municipality": OrgType.GEMEENTE,
    "police": OrgType.POLITIE,
    "openbaar ministerie": OrgType.OM,
    "public prosecution": OrgType.OM,
    "zorg": OrgType.ZORG_VEILIGHEIDSHUIS,
    "veiligheidshuis": OrgType.ZORG_VEILIGHEIDSHUIS,
    "zorg- en veiligheidshuis": OrgType.ZORG_VEILIGHEIDSHUIS,
    "zorg en veiligheidshuis": OrgType.ZORG_VEILIGHEIDSHUIS,
    "zorg/veiligheidshuis": OrgType.ZORG_VEILIGHEIDSHUIS,
    "ondernemers": OrgType.ONDERNEMER,
    "bedrijf": OrgType.ONDERNEMER,
    "business": OrgType.ONDERNEMER,
    "overig": OrgType.OTHER,
    "anders": OrgType.OTHER,
}

STATUS_ALIASES = {
    "active": SubscriberStatus.SUBSCRIBED,
    "cleaned": SubscriberStatus.BOUNCED,
    "unconfirmed": SubscriberStatus.PENDING,
}

_DUTCH_DATE = re.compile(
    r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)


# C0 and C1 control characters other than tab and line breaks (which _text folds into
# spaces): they corrupt headers and terminals, and PostgreSQL refuses NUL outright.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class RowError(ValueError):
    """Why a row cannot be imported; ``field`` names the column's field when known."""

    def __init__(self, reason: str, *, field: str | None = None, email: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.email = email


@dataclass(frozen=True, slots=True)
class Candidate:
    """A validated row. ``None`` means "the row does not say"."""

    email: str
    name: str | None = None
    first_name: str | None = None
    organisation: str | None = None
    org_type: str | None = None
    municipality: str | None = None
    themes: frozenset[str] | None = None
    language: str | None = None
    status: str | None = None
    consent_source: str | None = None
    consent_at: datetime | None = None
    confirmed_at: datetime | None = None


class RowParser:
    """Validates records against one bound mapping and the configuration."""

    def __init__(self, config: Config, bound: BoundMapping) -> None:
        self.bound = bound
        self.mapping = bound.mapping
        self.languages = config.audience.languages
        self.slugs = {theme.slug for theme in config.themes}
        self.theme_lookup = {theme.slug.casefold(): theme.slug for theme in config.themes}
        self.theme_lookup.update({theme.label.casefold(): theme.slug for theme in config.themes})
        # Labels that contain the separator ("Jeugd, alcohol en drugs") are swapped for
        # their slug before splitting, longest first.
        separator = self.mapping.theme_separator
        self.label_swaps = sorted(
            ((t.label.casefold(), t.slug) for t in config.themes if separator in t.label),
            key=lambda pair: -len(pair[0]),
        )
        self.values = {
            field: {k.casefold(): v for k, v in table.items()}
            for field, table in self.mapping.values.items()
        }
        self.naive_zone: tzinfo = UTC if self.mapping.naive_times == "utc" else config.tz

    # -- cells ---------------------------------------------------------------------------

    def _cell(self, cells: list[str], field: str) -> str | None:
        index = self.bound.fields.get(field)
        value = restore(cells[index].strip()) if index is not None and index < len(cells) else ""
        control = _CONTROL.search(value)
        if control is not None:
            raise RowError(
                f"{field} holds a control character (U+{ord(control.group()):04X})", field=field
            )
        if value:
            table = self.values.get(field)
            if table is not None:
                value = table.get(value.casefold(), value)
            return value
        default = self.mapping.defaults.get(field)
        return default or None

    def _text(self, cells: list[str], field: str) -> str | None:
        value = self._cell(cells, field)
        if value is None:
            return None
        value = " ".join(value.split())  # collapse line breaks and runs of spaces
        limit = MAX_LENGTHS.get(field)
        if limit is not None and len(value) > limit:
            raise RowError(f"{field} is longer than {limit} characters", field=field)
        return value

    def _themes(self, cells: list[str]) -> frozenset[str] | None:
        raw = self._cell(cells, "themes")
        if raw is None:
            return None
        separator = self.mapping.theme_separator
        folded = raw.casefold()
        for label, slug in self.label_swaps:
            folded = folded.replace(label, slug)
        found: set[str] = set()
        for token in re.split(rf"[{re.escape(separator)}|]", folded):
            token = token.strip()
            if not token:
                continue
            known = self.theme_lookup.get(token)
            if known is None:
                raise RowError(f"unknown theme {token!r}", field="themes")
            found.add(known)
        return frozenset(found)

    def _org_type(self, cells: list[str]) -> str | None:
        raw = self._cell(cells, "org_type")
        if raw is None:
            return None
        key = raw.casefold()
        try:
            return OrgType(key).value
        except ValueError:
            pass
        alias = ORG_TYPE_ALIASES.get(key)
        if alias is None:
            allowed = ", ".join(t.value for t in OrgType)
            raise RowError(
                f"unknown organisation type {raw!r} (expected one of {allowed})", field="org_type"
            )
        return alias.value

    def _status(self, cells: list[str]) -> str | None:
        for column, status in self.mapping.status_if_present.items():
            index = self.bound.flags.get(column)
            if index is not None and index < len(cells) and cells[index].strip():
                return SubscriberStatus(status).value
        raw = self._cell(cells, "status")
        if raw is None:
            return None
        key = raw.casefold()
        try:
            return SubscriberStatus(key).value
        except ValueError:
            pass
        alias = STATUS_ALIASES.get(key)
        if alias is None:
            allowed = ", ".join(s.value for s in SubscriberStatus)
            raise RowError(f"unknown status {raw!r} (expected one of {allowed})", field="status")
        return alias.value

    def _language(self, cells: list[str]) -> str | None:
        raw = self._cell(cells, "language")
        if raw is None:
            return None
        code = raw.casefold()
        if code not in self.languages:
            raise RowError(
                f"unsupported language {raw!r} (expected one of {', '.join(self.languages)})",
                field="language",
            )
        return code

    def _time(self, cells: list[str], field: str) -> datetime | None:
        raw = self._cell(cells, field)
        if raw is None:
            return None
        try:
            moment = parse_time(raw, day_first=self.mapping.day_first)
        except ValueError as err:
            raise RowError(
                f"{field}: cannot read the time {raw!r} (use ISO 8601, e.g. "
                "2022-02-15T10:30:00+01:00)",
                field=field,
            ) from err
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.naive_zone)
        return moment.astimezone(UTC)

    # -- the row -------------------------------------------------------------------------

    def parse(self, cells: list[str]) -> Candidate:
        raw_email = self._cell(cells, "email")
        if raw_email is None:
            raise RowError("no email address", field="email")
        try:
            email = normalise_email(raw_email)
        except InvalidAddressError as err:
            raise RowError(f"bad address: {err}", field="email") from err
        try:
            first_name = self._text(cells, "first_name")
            name = self._text(cells, "name")
            if name is None:
                parts = [first_name, self._text(cells, "last_name")]
                joined = " ".join(part for part in parts if part)
                name = joined[: MAX_LENGTHS["name"]] or None
            return Candidate(
                email=email,
                name=name,
                first_name=first_name,
                organisation=self._text(cells, "organisation"),
                org_type=self._org_type(cells),
                municipality=self._text(cells, "municipality"),
                themes=self._themes(cells),
                language=self._language(cells),
                status=self._status(cells),
                consent_source=self._text(cells, "consent_source"),
                consent_at=self._time(cells, "consent_at"),
                confirmed_at=self._time(cells, "confirmed_at"),
            )
        except RowError as problem:
            problem.email = email
            raise


def parse_time(raw: str, *, day_first: bool = True) -> datetime:
    """ISO 8601 (with "Z"), or the day-month-year forms Dutch spreadsheets produce."""
    text = raw.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    match = _DUTCH_DATE.match(text)
    if match is None:
        raise ValueError(raw)
    first, second = int(match["d"]), int(match["m"])
    day, month = (first, second) if day_first else (second, first)
    return datetime(  # noqa: DTZ001 - naive on purpose; the caller attaches the zone
        int(match["y"]),
        month,
        day,
        int(match["H"] or 0),
        int(match["M"] or 0),
        int(match["S"] or 0),
    )
