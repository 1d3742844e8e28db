"""Collect: news feeds, agenda and police campaigns into the item pool.

``collect(ctx)`` is the entry point. Each source kind is one module behind the
:class:`~varcomms.sources.base.Source` protocol, registered by its kind name; importing
this package registers them all.
"""

from __future__ import annotations

from varcomms.pool import as_utc, upcoming_window  # the pool's listing filters (moved)
from varcomms.sources import campaign, event_rss, ical, manual, rss
from varcomms.sources.base import (
    REGISTRY,
    FetchResult,
    Kind,
    Source,
    SourceEnv,
    check_sources,
    register,
)
from varcomms.sources.collector import CollectProgress, collect, select_sources
from varcomms.sources.report import CollectReport, SourceReport, SourceStatus

__all__ = [
    "REGISTRY",
    "CollectProgress",
    "CollectReport",
    "FetchResult",
    "Kind",
    "Source",
    "SourceEnv",
    "SourceReport",
    "SourceStatus",
    "as_utc",
    "campaign",
    "check_sources",
    "collect",
    "event_rss",
    "ical",
    "manual",
    "register",
    "rss",
    "select_sources",
    "upcoming_window",
]
