"""The Source protocol, the registry of source kinds, and what every source is given.

A source kind is one module with one class that says how to turn a configured source
into items; :func:`register` files it under its kind name, with what it needs (a URL or
path, or a folder), and ``kind = "..."`` in varcomms.toml picks it. The configuration
knows no kind names: :func:`check_sources` checks the configured kinds against this
registry. Adding a kind touches one file and its tests. The collector
(:mod:`varcomms.sources.collector`) owns the order of the steps around it: read state,
fetch, store, report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar, Literal, Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from varcomms.config import Config, SourceConfig
from varcomms.errors import ConfigError, SourceError
from varcomms.models import EventInfo, Item
from varcomms.sources.http import Document, HttpClient, Validators
from varcomms.sources.themes import ThemeTagger


@dataclass(frozen=True)
class SourceEnv:
    """What every source may use during one collect run; shared by all of them."""

    config: Config
    http: HttpClient
    tagger: ThemeTagger
    now: datetime
    since: datetime | None = None


@dataclass
class FetchResult:
    """What one fetch of one source produced. Iterating it gives the items."""

    items: list[Item] = field(default_factory=list)
    # Problems that did not stop the source: a bozo feed, a malformed manual file, …
    warnings: list[str] = field(default_factory=list)
    # Entries left out on purpose, by reason ("past events": 3, …).
    ignored: Counter[str] = field(default_factory=Counter)
    not_modified: bool = False
    # The server's validators, stored when the batch has landed.
    validators: Validators | None = None

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)


class Source(Protocol):
    """One configured source of one kind."""

    kind: ClassVar[str]
    config: SourceConfig

    def fetch(self) -> FetchResult:
        """Read the source and return its items; raise SourceError when it cannot."""
        ...


SourceFactory = Callable[[SourceConfig, SourceEnv, Validators], Source]
# What a kind reads: a document (``url`` or ``path``), or a folder of files (``path``).
Location = Literal["document", "folder"]


@dataclass(frozen=True)
class Kind:
    """A registered source kind."""

    name: str
    factory: SourceFactory
    location: Location = "document"


REGISTRY: dict[str, Kind] = {}


def register(kind: str, *, location: Location = "document") -> Callable[[type], type]:
    """Class decorator: make ``kind = "<kind>"`` in the config use this class."""

    def decorate(cls: type) -> type:
        cls.kind = kind  # type: ignore[attr-defined]
        REGISTRY[kind] = Kind(kind, cls, location)
        return cls

    return decorate


def check_sources(config: Config) -> None:
    """Raise ConfigError, naming the file and the source, for a kind that is not
    registered or a source that lacks what its kind needs."""
    for source in config.sources:
        where = f"{config.source_file}: sources[{source.name!r}]"
        kind = REGISTRY.get(source.kind)
        if kind is None:
            raise ConfigError(
                f"{where}.kind: unknown source kind {source.kind!r}",
                hint=f"known kinds: {', '.join(sorted(REGISTRY))}",
            )
        if kind.location == "folder" and source.path is None:
            raise ConfigError(
                f"{where}: a {kind.name} source needs 'path' (a folder of Markdown files)"
            )


def make_source(config: SourceConfig, env: SourceEnv, validators: Validators) -> Source:
    try:
        kind = REGISTRY[config.kind]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise SourceError(f"unknown source kind {config.kind!r}", hint=f"known: {known}") from None
    return kind.factory(config, env, validators)


# -- where a source lives ----------------------------------------------------------------


def local_path(config: SourceConfig, root: Config) -> Path | None:
    """The file or folder a source reads, or None when it is fetched over HTTP.

    ``path`` and ``file:`` URLs are relative to the configuration's folder, so the
    bundled samples work offline from any working directory.
    """
    if config.path is not None:
        return root.resolve(config.path)
    url = config.url or ""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        # "file:samples/x.xml" (no slashes) is relative to the config folder.
        return root.resolve(Path(url2pathname(unquote(parts.path))))
    if not parts.scheme or len(parts.scheme) == 1:  # a plain (or Windows drive) path
        return root.resolve(Path(url))
    raise SourceError(
        f"unsupported URL scheme {parts.scheme!r} in {url}",
        hint="use an http(s) URL, a file: URL or a path relative to varcomms.toml",
    )


def read_timeout(config: SourceConfig, env: SourceEnv) -> float:
    """A source's own ``timeout_seconds`` when set, else the collect-wide read timeout."""
    if "timeout_seconds" in config.model_fields_set:
        return config.timeout_seconds
    return env.config.collect.read_timeout


def read_document(config: SourceConfig, env: SourceEnv, validators: Validators) -> Document:
    """The source's bytes: from disk for paths, over HTTP (conditional GET) for URLs."""
    path = local_path(config, env.config)
    if path is None:
        assert config.url is not None
        return env.http.get(
            config.url, validators=validators, read_timeout=read_timeout(config, env)
        )
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(
            f"{path}: file not found", hint="paths are relative to the folder of varcomms.toml"
        ) from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a folder, expected a file") from None
    except OSError as err:
        raise SourceError(f"{path}: cannot read: {err.strerror or err}") from err
    return Document(content=content, url=path.as_uri())


# -- what every kind leaves out ----------------------------------------------------------


def event_is_past(event: EventInfo, now: datetime) -> bool:
    """An event is past once it has ended (an all-day event at the end of its last day)."""
    end = event.end or event.start
    if event.all_day:
        end += timedelta(days=1)
    return end < now


def ignore_reason(item: Item, env: SourceEnv) -> str | None:
    """Why an item is not offered (past event, older than --since), or None to keep it."""
    if item.event is not None:
        return "past events" if event_is_past(item.event, env.now) else None
    if env.since is not None and item.published is not None and item.published < env.since:
        return "published before --since"
    return None
