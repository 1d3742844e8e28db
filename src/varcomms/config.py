"""Configuration: `varcomms.toml`, validated once at the edge into frozen objects.

Nothing deeper in the package reads files or environment variables for settings: code
receives a :class:`Config` (or one of its sections). Secrets are never in the file; they
come from ``VARCOMMS_*`` environment variables and are read here into :class:`Secrets`,
whose ``repr`` hides the values so they cannot reach a log by accident.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from varcomms.errors import ConfigError

DEFAULT_CONFIG_NAME = "varcomms.toml"

# \Z, not $: "$" also matches before a trailing newline (F21).
_SLUG = re.compile(r"^(?=.{1,64}\Z)[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}\Z")

# Bounds of numbers in the configuration (F21): far beyond any sensible value, and far
# inside what date arithmetic, timers and the database can take.
MAX_DAYS = 3660  # ten years
MAX_TIMEOUT = 600.0  # seconds

PROVIDER_NAMES = ("outbox", "memory", "smtp", "mailgun", "sendgrid", "postmark", "brevo")


class Section(BaseModel):
    """Base for every config section: frozen, and unknown keys are errors (typos show)."""

    # nan and inf are never a setting: "timeout = nan" would wait forever or never (F21).
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Brand(Section):
    name: str
    website: str
    logo_url: str = Field(description="Public https URL of the logo, used in sent mail.")
    logo_path: Path = Field(description="Local copy of the logo, used in previews.")
    logo_alt: str
    # "accent_color" was the key's first spelling; files that use it keep working.
    accent_colour: str = Field(
        "#1a4f8b", validation_alias=AliasChoices("accent_colour", "accent_color")
    )

    @field_validator("accent_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _HEX_COLOUR.match(value):
            raise ValueError("must be a colour like '#1a4f8b'")
        return value.lower()

    @field_validator("logo_url", "website")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must be an absolute https:// URL")
        return value


class Sender(Section):
    from_name: str
    from_address: str
    reply_to: str | None = None
    # Domain for Message-IDs and the mailto: List-Unsubscribe address.
    domain: str | None = None
    # Shown in every email's footer: Dutch and EU rules for bulk mail expect the
    # sender's postal address ("Postbus 1, 3000 AA Rotterdam").
    postal_address: str | None = None

    @field_validator("from_address", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError("must be an email address")
        return value

    @property
    def message_id_domain(self) -> str:
        return self.domain or self.from_address.rsplit("@", 1)[1]


class Theme(Section):
    slug: str
    label: str

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be lowercase words joined by '-'")
        return value


class SourceConfig(Section):
    """One configured source. ``kind`` picks the plug-in that reads it.

    The kinds are not listed here: each declares itself in its own module under
    ``varcomms.sources`` (the registry there checks ``kind`` and what the kind needs,
    see ``sources.check_sources``). ``url`` may be http(s), ``file:`` or a path relative
    to the configuration file, so the bundled samples work without a network.
    """

    name: str
    kind: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    url: str | None = None
    path: Path | None = None
    brand: str | None = None
    enabled: bool = True
    themes: tuple[str, ...] = ()
    # Campaign filter (police news feeds): keep items that mention one of these.
    keywords: tuple[str, ...] = ()
    region: str | None = None
    timeout_seconds: float = Field(default=20.0, gt=0, le=MAX_TIMEOUT)

    @model_validator(mode="after")
    def _has_location(self) -> SourceConfig:
        if self.url is None and self.path is None:
            raise ValueError(f"a {self.kind} source needs 'url' or 'path'")
        return self


class ThemeRule(Section):
    """Tag items with ``theme`` when a feed category or a keyword matches."""

    theme: str
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


class CollectSettings(Section):
    concurrency: int = Field(default=8, ge=1, le=64)
    per_host: int = Field(default=2, ge=1, le=16)
    connect_timeout: float = Field(default=5.0, gt=0, le=MAX_TIMEOUT)
    read_timeout: float = Field(default=20.0, gt=0, le=MAX_TIMEOUT)
    retries: int = Field(default=2, ge=0, le=10)
    # The whole download of one body may take this long; a trickling server is cut off.
    download_timeout: float = Field(default=60.0, gt=0)
    # A Retry-After longer than this is not waited for: the source is deferred to the
    # next run, so one busy server never holds up the report of the others.
    retry_after_max: float = Field(default=10.0, ge=0)
    user_agent: str = "varcomms/0.1 (+https://veiligheidsalliantie.nl)"
    theme_rules: tuple[ThemeRule, ...] = ()


class EditionSettings(Section):
    # Agenda events from the planned send date up to this many days ahead are offered.
    agenda_window_days: int = Field(default=90, ge=1, le=MAX_DAYS)
    subject_max_chars: int = Field(default=70, ge=10, le=1000)
    preheader_max_chars: int = Field(default=110, ge=10, le=1000)
    sections: tuple[str, ...] = ("nieuws", "kennis", "campagnes")
    # Drafting routes an item into the first section whose themes (or kinds) it has; the
    # first section without a rule takes the rest. Routing only: everyone gets the section.
    section_themes: Mapping[str, tuple[str, ...]] = {"kennis": ("kennisbijeenkomsten",)}
    section_kinds: Mapping[str, tuple[str, ...]] = {"campagnes": ("campaign",)}
    # A general section takes at most this many drafted items; themed items beyond that
    # go into a per-theme section that only subscribers of that theme receive.
    general_items_max: int = Field(default=6, ge=1, le=100)
    # With no sent edition yet, the first draft offers news of this many days back.
    first_draft_days: int = Field(default=42, ge=1, le=MAX_DAYS)
    # An agenda is a calendar: upcoming events already shown once are offered again.
    agenda_repeat_upcoming: bool = True
    # Hosts (and their subdomains) that images may come from besides the brands' own
    # websites and logo hosts; any other image host is a lint warning (F18), because it
    # learns who opens the mail and when.
    image_hosts: tuple[str, ...] = ()


class RenderSettings(Section):
    utm_enabled: bool = True
    utm_source: str = "nieuwsbrief"
    utm_medium: str = "email"
    max_html_bytes: int = Field(default=102 * 1024, ge=1024, le=10 * 1024 * 1024)
    warn_html_bytes: int = Field(default=90 * 1024, ge=1024, le=10 * 1024 * 1024)


class OutboxSettings(Section):
    directory: Path = Path("data/outbox")


class SmtpSettings(Section):
    host: str = "localhost"
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    pool_size: int = Field(default=2, ge=1, le=16)
    timeout: float = Field(default=30.0, gt=0)
    # A login over an unencrypted connection sends the password in the clear: refused
    # unless this is set (for a relay on the same machine or a trusted network).
    allow_plaintext_login: bool = False

    @model_validator(mode="after")
    def _no_password_in_the_clear(self) -> SmtpSettings:
        if self.username and self.security == "none" and not self.allow_plaintext_login:
            raise ValueError(
                "a username with security = 'none' would send the password unencrypted; "
                "use 'starttls' or 'tls', or set allow_plaintext_login = true"
            )
        return self


class HttpProviderSettings(Section):
    """What every HTTP API provider has: where it is, how many per call, how long to wait."""

    base_url: str
    batch_size: int = Field(default=1000, ge=1, le=1000)
    # Seconds to wait for the answer to one request; a later answer leaves the batch
    # uncertain (it may have been accepted), so keep it above the provider's own limit.
    read_timeout: float = Field(default=60.0, gt=0, le=600)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL like 'https://api.example.com'")
        return value


class MailgunSettings(HttpProviderSettings):
    domain: str = "mg.veiligheidsalliantie.nl"
    base_url: str = "https://api.eu.mailgun.net"


class SendgridSettings(HttpProviderSettings):
    base_url: str = "https://api.sendgrid.com"


class PostmarkSettings(HttpProviderSettings):
    base_url: str = "https://api.postmarkapp.com"
    message_stream: str = "broadcast"
    batch_size: int = Field(default=500, ge=1, le=500)


class BrevoSettings(HttpProviderSettings):
    base_url: str = "https://api.brevo.com"
    # Brevo's message versions cannot carry per-recipient List-Unsubscribe headers, so
    # each personalised message is its own call unless one-click links are given up.
    batch_size: int = Field(default=1, ge=1, le=1000)


class ProviderSettings(Section):
    name: Literal["outbox", "memory", "smtp", "mailgun", "sendgrid", "postmark", "brevo"] = "outbox"
    outbox: OutboxSettings = OutboxSettings()
    smtp: SmtpSettings = SmtpSettings()
    mailgun: MailgunSettings = MailgunSettings()
    sendgrid: SendgridSettings = SendgridSettings()
    postmark: PostmarkSettings = PostmarkSettings()
    brevo: BrevoSettings = BrevoSettings()


class DeliverySettings(Section):
    # In the provider's own unit: requests per second for a batch API (Mailgun,
    # SendGrid, Postmark, Brevo), messages per second for SMTP. Unset: the provider's
    # documented limit (see docs/architecture.md, "Rate limits").
    rate_per_second: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=2, ge=1, le=32)
    max_retries: int = Field(default=5, ge=0)
    # What --resume does with messages whose fate is unknown after a crash.
    uncertain_policy: Literal["hold", "resend"] = "hold"
    # Consecutive failed batches after which a send pauses.
    pause_after_failures: int = Field(default=5, ge=1)
    test_addresses: tuple[str, ...] = ()


class EventSettings(Section):
    """What providers report after a send (webhooks, bounce mailboxes)."""

    # Soft bounces (full mailbox, greylisting) suppress only when they repeat.
    soft_bounce_limit: int = Field(default=3, ge=1, le=100)
    soft_bounce_window_days: int = Field(default=30, ge=1, le=365)
    # A signed webhook older (or further in the future) than this is refused as a replay.
    webhook_max_age_seconds: int = Field(default=300, ge=30, le=86_400)
    # The mailbox the SMTP relay's bounce reports arrive in (`events read-bounces --imap`);
    # its password comes from VARCOMMS_BOUNCE_IMAP_PASSWORD.
    bounce_imap_host: str | None = None
    bounce_imap_port: int = Field(default=993, ge=1, le=65_535)
    bounce_imap_username: str | None = None
    bounce_imap_folder: str = "INBOX"


AUDIENCE_FIELDS = (
    "email",
    "name",
    "first_name",
    "last_name",
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


class CsvMapping(Section):
    """How the columns of a CSV export map onto subscriber fields (``audience import``).

    ``columns`` maps a field to one header or to candidate headers (the first present one
    is used). ``values`` translates cell values per field (case-insensitive), e.g. a status
    "actief" to "subscribed". ``status_if_present`` sets the status when a column has any
    value (Mailchimp's UNSUB_TIME). Naive times are read in ``naive_times``.
    """

    columns: Mapping[str, tuple[str, ...]]
    theme_separator: str = "|"
    values: Mapping[str, Mapping[str, str]] = {}
    status_if_present: Mapping[str, str] = {}
    defaults: Mapping[str, str] = {}
    naive_times: Literal["local", "utc"] = "local"
    day_first: bool = True

    @field_validator("columns", mode="before")
    @classmethod
    def _candidates(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: (v,) if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
        unknown = sorted(set(value) - set(AUDIENCE_FIELDS))
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r}; fields: {', '.join(AUDIENCE_FIELDS)}")
        if "email" not in value:
            raise ValueError("a mapping needs an 'email' column")
        return value


class AudienceSettings(Section):
    # Language codes a subscriber may have; the first is the default.
    languages: tuple[str, ...] = ("nl", "en")
    # Custom CSV mappings by name, next to the built-in varcomms, mailchimp and laposta.
    mappings: Mapping[str, CsvMapping] = {}
    batch_size: int = Field(default=1000, ge=1, le=10000)


class Urls(Section):
    web_base: str = Field(description="Where the web (archive) version of an edition lives.")
    preferences_base: str
    unsubscribe_base: str
    privacy_statement: str
    contact: str | None = None

    @field_validator("web_base", "preferences_base", "unsubscribe_base", "privacy_statement")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must be an absolute https:// URL")
        return value.rstrip("/")


class WebSettings(Section):
    """The subscriber web app (``varcomms serve``): sign-up, preferences, unsubscribe."""

    # Where the app is reached from outside, for links in confirmation mail. Default:
    # the scheme and host of urls.preferences_base.
    public_url: str | None = None
    # A confirmation link older than this opens nothing (double opt-in).
    optin_expiry_hours: int = Field(default=48, ge=1, le=24 * 14)
    # The version of the consent text below; stored with every confirmed sign-up, so it
    # is known later what each person agreed to. Change it whenever the text changes.
    consent_version: str = "2022-01"
    consent_text: str = (
        "Ik wil de nieuwsbrief van de VeiligheidsAlliantie regio Rotterdam en het RIEC "
        "Rotterdam ontvangen. Mijn gegevens worden alleen daarvoor gebruikt; ik kan me "
        "altijd afmelden."
    )
    # Sign-up requests per client address and per mail address, within the window.
    rate_limit_per_ip: int = Field(default=10, ge=1)
    rate_limit_per_address: int = Field(default=3, ge=1)
    rate_limit_window_minutes: int = Field(default=60, ge=1)
    # The pauses a reader may choose in the preference centre, in months.
    pause_months: tuple[int, ...] = (1, 3, 6)
    # Reverse proxies in front of the app (nginx, a load balancer) whose X-Forwarded-For
    # and -Proto headers are trusted; 0 when clients connect directly.
    trusted_proxies: int = Field(default=0, ge=0, le=5)


class Paths(Section):
    """Folders, relative to the configuration file unless absolute."""

    data: Path = Path("data")
    newsletters: Path = Path("newsletters")
    templates: Path = Path("templates")
    audiences: Path = Path("audiences")


class Config(Section):
    """The whole configuration. ``root`` is the folder holding the file."""

    root: Path
    source_file: Path
    timezone: str = "Europe/Amsterdam"
    database_url: str | None = None
    paths: Paths = Paths()
    brands: Mapping[str, Brand]
    sender: Sender
    themes: tuple[Theme, ...]
    sources: tuple[SourceConfig, ...] = ()
    collect: CollectSettings = CollectSettings()
    editions: EditionSettings = EditionSettings()
    render: RenderSettings = RenderSettings()
    provider: ProviderSettings = ProviderSettings()
    delivery: DeliverySettings = DeliverySettings()
    audience: AudienceSettings = AudienceSettings()
    events: EventSettings = EventSettings()
    urls: Urls
    # The municipalities of the region, offered in the sign-up form and preferences.
    municipalities: tuple[str, ...] = ()
    web: WebSettings = WebSettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    @field_validator("brands")
    @classmethod
    def _brands(cls, value: Mapping[str, Brand]) -> Mapping[str, Brand]:
        missing = [name for name in ("var", "riec") if name not in value]
        if missing:
            raise ValueError(f"missing brand {missing[0]!r} (the joint newsletter needs both)")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        slugs = [theme.slug for theme in self.themes]
        seen: set[str] = set()
        for slug in slugs:
            if slug in seen:
                raise ValueError(f"theme {slug!r} is defined twice")
            seen.add(slug)
        names: set[str] = set()
        for source in self.sources:
            if source.name in names:
                raise ValueError(f"source {source.name!r} is defined twice")
            names.add(source.name)
            for theme in source.themes:
                if theme not in seen:
                    raise ValueError(f"source {source.name!r} names unknown theme {theme!r}")
            if source.brand is not None and source.brand not in self.brands:
                raise ValueError(f"source {source.name!r} names unknown brand {source.brand!r}")
        for rule in self.collect.theme_rules:
            if rule.theme not in seen:
                raise ValueError(f"collect.theme_rules names unknown theme {rule.theme!r}")
        for section, routed in self.editions.section_themes.items():
            for theme in routed:
                if theme not in seen:
                    raise ValueError(
                        f"editions.section_themes.{section} names unknown theme {theme!r}"
                    )
        for section, kinds in self.editions.section_kinds.items():
            for kind in kinds:
                if kind not in ("news", "event", "campaign", "manual"):
                    raise ValueError(f"editions.section_kinds.{section}: unknown kind {kind!r}")
        return self

    # -- derived values -------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def theme_labels(self) -> dict[str, str]:
        return {theme.slug: theme.label for theme in self.themes}

    def resolve(self, path: Path) -> Path:
        """A path from the file, made absolute against the configuration's folder."""
        return path if path.is_absolute() else self.root / path

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.paths.data)

    @property
    def newsletters_dir(self) -> Path:
        return self.resolve(self.paths.newsletters)

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.paths.templates)

    @property
    def audiences_dir(self) -> Path:
        return self.resolve(self.paths.audiences)

    @property
    def db_url(self) -> str:
        """The database URL; the default is a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'varcomms.db'}"

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r}", hint=f"configured sources: {known}")


class Secrets:
    """Secrets from the environment. ``repr`` and ``str`` never show a value."""

    PREFIX = "VARCOMMS_"

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._values = {
            key[len(self.PREFIX) :].lower(): value
            for key, value in environ.items()
            if key.startswith(self.PREFIX) and value
        }

    def get(self, name: str) -> str | None:
        """A secret by short name: ``get("mailgun_api_key")`` reads VARCOMMS_MAILGUN_API_KEY."""
        return self._values.get(name.lower())

    def require(self, name: str, *, purpose: str) -> str:
        value = self.get(name)
        if value is None:
            raise ConfigError(
                f"{purpose} needs the environment variable {self.PREFIX}{name.upper()}",
                hint="set it in the environment; secrets are never read from files",
            )
        return value

    def merged(self, extra: Mapping[str, str]) -> Secrets:
        """A copy with more secrets (short names), e.g. the demo's own signing key."""
        merged = Secrets({})
        merged._values = {**self._values, **{k.lower(): v for k, v in extra.items()}}
        return merged

    def __repr__(self) -> str:
        return f"Secrets({sorted(self._values)})"

    __str__ = __repr__


def _error_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif str(part).startswith(("function-", "literal")):
            continue
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"


def _section_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The settings class that holds the key at ``loc`` (list indexes skipped)."""
    model: type[BaseModel] = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        candidates = [field.annotation, *get_args(field.annotation)]
        candidates += [arg for c in candidates for arg in get_args(c)]
        found = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not found:
            return None
        model = found[0]
    return model


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    """ "; did you mean 'editions'?" for a near-miss of a known key, else nothing."""
    section = _section_at(loc[:-1])
    if section is None or not loc:
        return ""
    known = [alias or name for name, f in section.model_fields.items() for alias in (f.alias,)]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _describe(err: ValidationError, raw: Mapping[str, Any]) -> tuple[str, str]:
    first = err.errors(include_url=False)[0]
    key = _error_location(tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "required key is missing"
    elif first["type"] == "extra_forbidden":
        message = "unknown key" + _did_you_mean(tuple(first["loc"]))
    elif "input" in first and first["type"] not in ("model_type",):
        shown = first["input"]
        if not isinstance(shown, dict | list):
            message += f" (got {shown!r})"
    # Sources are a list in TOML; name them the way an editor thinks of them.
    sources = raw.get("sources")
    loc = first["loc"]
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int) and sources:
        with contextlib.suppress(KeyError, IndexError, TypeError):
            key = key.replace(f"sources[{loc[1]}]", f"sources[{sources[loc[1]]['name']!r}]")
    return key, message


def parse_config(raw: Mapping[str, Any], *, source_file: Path) -> Config:
    """Validate a parsed TOML mapping; errors name the file and the key."""
    data = dict(raw)
    if isinstance(data.get("themes"), Mapping):
        data["themes"] = [{"slug": k, "label": v} for k, v in data["themes"].items()]
    data["root"] = source_file.parent
    data["source_file"] = source_file
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        key, message = _describe(err, raw)
        more = err.error_count() - 1
        hint = f"{more} more problem(s) after this one" if more else None
        raise ConfigError(f"{source_file}: {key}: {message}", hint=hint) from err


def load_config(path: Path | None = None) -> Config:
    """Read and validate the configuration file (default: ./varcomms.toml)."""
    path = (path or Path(DEFAULT_CONFIG_NAME)).absolute()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(
            f"{path}: configuration file not found",
            hint="run varcomms from the project folder or pass --config",
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    except RecursionError as err:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from err
    return parse_config(raw, source_file=path)


def load_secrets(environ: Mapping[str, str] | None = None) -> Secrets:
    return Secrets(os.environ if environ is None else environ)
