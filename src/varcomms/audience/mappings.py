"""Column mappings: which header of someone's CSV export feeds which subscriber field.

Three are built in — ``varcomms`` (our own format, what ``audience export`` writes),
``mailchimp`` (an audience export) and ``laposta`` (a relaties export) — and more can be
configured under ``[audience.mappings.NAME]``. All of them are the same
:class:`~varcomms.config.CsvMapping`, so a custom mapping has every power a built-in has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from varcomms.config import Config, CsvMapping
from varcomms.errors import InputError

# The native header, in order (also what export_csv writes).
NATIVE_COLUMNS = (
    "email",
    "name",
    "first_name",
    "organisation",
    "org_type",
    "municipality",
    "themes",
    "language",
    "status",
    "consent_source",
    "consent_at",
    "confirmed_at",
)

VARCOMMS = CsvMapping(
    columns={column: (column,) for column in NATIVE_COLUMNS},
    theme_separator="|",
)

# Mailchimp exports one file per section (subscribed, unsubscribed, cleaned); the
# unsubscribed and cleaned files carry UNSUB_TIME / CLEAN_TIME, which say the status.
# Times are UTC without an offset. Interest groups are a column named after the group,
# values separated by ", "; the usual group titles for themes are listed.
MAILCHIMP = CsvMapping(
    columns={
        "email": ("Email Address", "E-mailadres"),
        "first_name": ("First Name", "Voornaam"),
        "last_name": ("Last Name", "Achternaam"),
        "organisation": ("Organisation", "Organization", "Organisatie", "Company"),
        "municipality": ("Municipality", "Gemeente"),
        "themes": ("Thema's", "Themas", "Themes", "Interesses", "Interests"),
        "consent_at": ("OPTIN_TIME",),
        "confirmed_at": ("CONFIRM_TIME",),
        "language": ("Language", "Taal"),
    },
    theme_separator=",",
    status_if_present={"CLEAN_TIME": "bounced", "UNSUB_TIME": "unsubscribed"},
    defaults={"status": "subscribed", "consent_source": "mailchimp"},
    naive_times="utc",
)

# Laposta names its standard fields in Dutch in the web export; the API's own names
# (state active/unsubscribed/cleaned, signup_date, confirm_date) are accepted as well.
LAPOSTA = CsvMapping(
    columns={
        "email": ("E-mailadres", "Emailadres", "E-mail", "email"),
        "first_name": ("Voornaam",),
        "last_name": ("Achternaam",),
        "name": ("Naam",),
        "organisation": ("Organisatie", "Bedrijf"),
        "municipality": ("Gemeente",),
        "themes": ("Thema's", "Themas", "Interesses"),
        "status": ("Status", "state"),
        "consent_at": ("Aanmelddatum", "Aangemeld", "Ingeschreven", "signup_date"),
        "confirmed_at": ("Bevestigd", "Bevestigingsdatum", "confirm_date"),
        "consent_source": ("Bron", "source_url"),
    },
    theme_separator=",",
    values={
        "status": {
            "active": "subscribed",
            "actief": "subscribed",
            "unsubscribed": "unsubscribed",
            "afgemeld": "unsubscribed",
            "uitgeschreven": "unsubscribed",
            "cleaned": "bounced",
            "gebounced": "bounced",
            "onbevestigd": "pending",
            "unconfirmed": "pending",
        }
    },
    defaults={"status": "subscribed", "consent_source": "laposta"},
)

BUILT_IN: dict[str, CsvMapping] = {"varcomms": VARCOMMS, "mailchimp": MAILCHIMP, "laposta": LAPOSTA}


@dataclass(frozen=True)
class BoundMapping:
    """A mapping matched against one file's header: field → column index."""

    name: str
    mapping: CsvMapping
    header: tuple[str, ...]
    fields: dict[str, int]
    flags: dict[str, int]  # status_if_present columns found in this header
    ignored: tuple[str, ...]


def _find(header_keys: Sequence[str], candidates: Sequence[str]) -> int | None:
    for candidate in candidates:
        key = candidate.strip().casefold()
        if key in header_keys:
            return header_keys.index(key)
    return None


def bind(name: str, mapping: CsvMapping, header: Sequence[str]) -> BoundMapping | None:
    """Match a mapping to a header; None when the email column is not there."""
    keys = [column.strip().casefold() for column in header]
    fields: dict[str, int] = {}
    for field, candidates in mapping.columns.items():
        index = _find(keys, candidates)
        if index is not None:
            fields[field] = index
    if "email" not in fields:
        return None
    flags = {}
    for column, _status in mapping.status_if_present.items():
        index = _find(keys, (column,))
        if index is not None:
            flags[column] = index
    used = set(fields.values()) | set(flags.values())
    ignored = tuple(column for i, column in enumerate(header) if i not in used and column.strip())
    return BoundMapping(name, mapping, tuple(header), fields, flags, ignored)


def available(config: Config) -> dict[str, CsvMapping]:
    """Configured mappings first (so a site can override a built-in name), then built-ins."""
    return {**BUILT_IN, **dict(config.audience.mappings)}


def choose(config: Config, name: str, header: Sequence[str], *, path: object) -> BoundMapping:
    """The named mapping bound to this header, or — for "auto" — the one that fits best."""
    mappings = available(config)
    shown = ", ".join(repr(column) for column in header[:8])
    if name != "auto":
        if name not in mappings:
            raise InputError(
                f"unknown mapping {name!r}",
                path=str(path),
                hint=f"mappings: auto, {', '.join(mappings)}",
            )
        bound = bind(name, mappings[name], header)
        if bound is None:
            wanted = ", ".join(mappings[name].columns["email"])
            raise InputError(
                f"the {name} mapping needs an email column ({wanted}); the header has {shown}",
                path=str(path),
                line=1,
            )
        return bound
    # Custom mappings are tried first: they were written for this organisation's files.
    order = [*config.audience.mappings, *BUILT_IN]
    best: BoundMapping | None = None
    for candidate in dict.fromkeys(order):
        bound = bind(candidate, mappings[candidate], header)
        if bound is not None and (best is None or len(bound.fields) > len(best.fields)):
            best = bound
    if best is None:
        raise InputError(
            f"no mapping recognises this header ({shown})",
            path=str(path),
            line=1,
            hint="name the columns like `varcomms audience export` does, or configure "
            "[audience.mappings.NAME] and pass --mapping NAME",
        )
    return best
