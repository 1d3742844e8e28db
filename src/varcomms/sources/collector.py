"""``collect``: every selected source, fetched concurrently, stored in the item pool.

The order of the steps lives here, the details in the source kinds: load each source's
state, fetch all sources in a bounded thread pool (HTTP politeness per host is the
HttpClient's job), then store each batch as it arrives — in this thread, one transaction
per source — and remember the validators. One source's failure, whatever it is, becomes
a line in the report; the others still land.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from varcomms import pool
from varcomms.config import Config, SourceConfig
from varcomms.context import Context
from varcomms.errors import VarcommsError
from varcomms.models import Item
from varcomms.pool import as_utc
from varcomms.sources.base import FetchResult, SourceEnv, check_sources, local_path, make_source
from varcomms.sources.http import HttpClient, SourceDeferredError, Validators
from varcomms.sources.report import CollectReport, SourceReport, SourceStatus
from varcomms.sources.state import SourceState, load_states, save_state
from varcomms.sources.themes import ThemeTagger

log = logging.getLogger(__name__)


class CollectProgress(Protocol):
    """What ``collect`` tells a progress display (the CLI's rich bar)."""

    def start(self, total: int) -> None: ...

    def advance(self, report: SourceReport) -> None: ...


@dataclass
class _FetchAttempt:
    """One source's fetch: what it produced or why it failed, and how long it took."""

    config: SourceConfig
    seconds: float
    batch: FetchResult | None = None
    error: VarcommsError | None = None


def collect(
    ctx: Context,
    *,
    only: str | Iterable[str] | None = None,
    since: datetime | date | None = None,
    progress: CollectProgress | None = None,
) -> CollectReport:
    """Collect the configured sources (or ``only`` those named) into the item pool.

    ``since`` leaves out news published before it. Never raises for a source's
    problem: see each :class:`SourceReport`'s status and message.
    """
    config = ctx.config
    check_sources(config)
    selected = select_sources(config, only)
    started = time.perf_counter()
    now = ctx.clock.now()
    report = CollectReport(started=now)
    states = load_states(ctx.store, [s.name for s in selected])
    http = HttpClient(config.collect, ctx.clock)
    env = SourceEnv(
        config=config,
        http=http,
        tagger=ThemeTagger(config),
        now=now,
        since=as_utc(since, config) if since is not None else None,
    )
    if progress is not None:
        progress.start(len(selected))
    by_name: dict[str, SourceReport] = {}
    try:
        workers = max(1, min(config.collect.concurrency, len(selected)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as executor:
            futures: dict[Future[_FetchAttempt], SourceConfig] = {
                executor.submit(_fetch, source, env, states.get(source.name)): source
                for source in selected
            }
            for future in as_completed(futures):
                outcome = future.result()  # _fetch never raises
                source_report = _land_safely(ctx, env, outcome, states.get(outcome.config.name))
                by_name[source_report.name] = source_report
                if progress is not None:
                    progress.advance(source_report)
    finally:
        http.close()
    report.sources = [by_name[s.name] for s in selected]
    report.seconds = time.perf_counter() - started
    return report


def select_sources(config: Config, only: str | Iterable[str] | None) -> list[SourceConfig]:
    """The enabled sources, or exactly those named (named ones run even when disabled)."""
    if only is None:
        return [s for s in config.sources if s.enabled]
    names = [only] if isinstance(only, str) else list(only)
    if not names:
        return [s for s in config.sources if s.enabled]
    return [config.source(name) for name in dict.fromkeys(names)]


def _source_url(source: SourceConfig, config: Config) -> str | None:
    """The URL conditional GET validators belong to (None for local files)."""
    try:
        return source.url if local_path(source, config) is None else None
    except VarcommsError:
        return None


def _fetch(source: SourceConfig, env: SourceEnv, state: SourceState | None) -> _FetchAttempt:
    started = time.perf_counter()
    url = _source_url(source, env.config)
    validators = state.validators_for(url) if state else Validators()
    try:
        batch = make_source(source, env, validators).fetch()
        return _FetchAttempt(source, time.perf_counter() - started, batch=batch)
    except VarcommsError as err:
        return _FetchAttempt(source, time.perf_counter() - started, error=err)
    except Exception as err:
        log.exception("source %s: unexpected error", source.name)
        error = VarcommsError(
            f"unexpected error: {type(err).__name__}: {err}",
            hint="run with --verbose for the traceback and report it",
        )
        return _FetchAttempt(source, time.perf_counter() - started, error=error)


def _dedupe(items: list[Item]) -> tuple[list[Item], int]:
    """The first of items that share an id (the same guid twice in one feed)."""
    seen: set[str] = set()
    unique: list[Item] = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            unique.append(item)
    return unique, len(items) - len(unique)


def _land_safely(
    ctx: Context, env: SourceEnv, outcome: _FetchAttempt, previous: SourceState | None
) -> SourceReport:
    """:func:`_land`, with any surprise while storing made this source's failure: the
    report of every other source is still printed."""
    try:
        return _land(ctx, env, outcome, previous)
    except Exception as err:
        log.exception("source %s: storing failed unexpectedly", outcome.config.name)
        return SourceReport(
            name=outcome.config.name,
            kind=outcome.config.kind,
            status=SourceStatus.FAILED,
            seconds=outcome.seconds,
            message=f"storing its items failed: {type(err).__name__}: {str(err)[:200]}",
            hint="run with --verbose for the traceback and report it",
        )


def _land(
    ctx: Context, env: SourceEnv, outcome: _FetchAttempt, previous: SourceState | None
) -> SourceReport:
    source = outcome.config
    report = SourceReport(
        name=source.name, kind=source.kind, status=SourceStatus.OK, seconds=outcome.seconds
    )
    batch = outcome.batch
    if batch is None:
        assert outcome.error is not None
        deferred = isinstance(outcome.error, SourceDeferredError)
        report.status = SourceStatus.DEFERRED if deferred else SourceStatus.FAILED
        report.message = outcome.error.message
        report.hint = outcome.error.hint
    else:
        report.warnings = list(batch.warnings)
        report.ignored = dict(batch.ignored)
        if batch.not_modified:
            report.status = SourceStatus.NOT_MODIFIED
        else:
            items, duplicates = _dedupe(batch.items)
            if duplicates:
                report.warnings.append(f"{duplicates} duplicate entries (same guid) left out")
            try:
                counts = pool.upsert_items(ctx.store, items, now=env.now, zone=env.config.tz)
            except SQLAlchemyError as err:
                log.exception("source %s: storing items failed", source.name)
                report.status = SourceStatus.FAILED
                report.message = storage_failure(err)
            else:
                report.new, report.updated, report.unchanged = (
                    counts.new,
                    counts.updated,
                    counts.unchanged,
                )
                if report.warnings:
                    report.status = SourceStatus.WARNING
    _remember(ctx, env, source, report, batch, previous)
    return report


def storage_failure(err: SQLAlchemyError) -> str:
    """The report line for a batch the database refused.

    Only DBAPI errors carry ``orig`` (the driver's own error); reading it off any other
    SQLAlchemy error would raise inside the handler meant to keep the run going.
    """
    cause = getattr(err, "orig", None) or err
    return f"storing its items failed: {str(cause)[:200]}"


def _remember(
    ctx: Context,
    env: SourceEnv,
    source: SourceConfig,
    report: SourceReport,
    batch: FetchResult | None,
    previous: SourceState | None,
) -> None:
    """Store the outcome; new validators only once the items they cover have landed."""
    url = _source_url(source, env.config)
    keep = previous.validators_for(url) if previous else Validators()
    landed = report.status in (SourceStatus.OK, SourceStatus.WARNING)
    # With --since some items were left out on purpose: a later full run must not get
    # a 304 for them, so the old validators stay.
    if landed and batch is not None and batch.validators is not None and env.since is None:
        keep = batch.validators
    try:
        save_state(
            ctx.store,
            SourceState(
                name=source.name,
                url=url,
                etag=keep.etag,
                last_modified=keep.last_modified,
                last_fetched_at=env.now,
                last_status=report.status.value,
                last_error=report.message,
                last_duration=report.seconds,
            ),
        )
    except SQLAlchemyError:
        log.exception("source %s: saving its state failed", source.name)
        report.warnings.append("could not save the source's state; it is fetched in full next time")
