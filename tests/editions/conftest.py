"""Fixtures for the editions stage: a project folder in tmp_path, pool items, the sample."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import ROOT
from varcomms.clock import FakeClock
from varcomms.config import Config, EditionSettings, load_config
from varcomms.context import Context
from varcomms.models import EventInfo, Item, ItemKind
from varcomms.store import Store

SAMPLE = ROOT / "newsletters" / "2022-01"
# Mid-January 2022: the sample edition (planned 2022-02-01 09:00) is still ahead.
JANUARY = datetime(2022, 1, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Config:
    """The sample configuration with its data and newsletters folders in tmp_path.

    The drafting settings are pinned to the defaults the tests were written against, so
    tuning the sample varcomms.toml does not move what these tests expect.
    """
    config = load_config(ROOT / "varcomms.toml")
    pinned = EditionSettings(sections=config.editions.sections)
    config = config.model_copy(update={"editions": pinned})
    paths = config.paths.model_copy(
        update={
            "data": tmp_path / "data",
            "newsletters": tmp_path / "newsletters",
            "audiences": tmp_path / "audiences",
        }
    )
    return config.model_copy(update={"paths": paths})


@pytest.fixture
def january() -> FakeClock:
    return FakeClock(JANUARY)


def make_context(config: Config, clock: FakeClock, store: Store | None = None) -> Context:
    ctx = Context(config=config, clock=clock, console=Console(file=StringIO()))
    if store is not None:
        ctx.__dict__["store"] = store
    return ctx


@pytest.fixture
def ctx(project: Config, january: FakeClock) -> Context:
    """A context without a database (reading, lint and workflow need none)."""
    return make_context(project, january)


@pytest.fixture
def pool_ctx(project: Config, january: FakeClock, store: Store) -> Iterator[Context]:
    """A context with a real database: SQLite, and PostgreSQL when configured."""
    yield make_context(project, january, store)


@pytest.fixture
def sqlite_ctx(project: Config, january: FakeClock, sqlite_store: Store) -> Context:
    return make_context(project, january, sqlite_store)


@pytest.fixture
def sample(project: Config) -> Path:
    """A copy of the repository's sample edition in the project's newsletters folder."""
    target = project.newsletters_dir / "2022-01"
    shutil.copytree(SAMPLE, target)
    return target


def news(
    key: str,
    published: datetime,
    *,
    title: str | None = None,
    themes: tuple[str, ...] = (),
    source: str = "var-nieuws",
    brand: str | None = "var",
    kind: ItemKind = ItemKind.NEWS,
    summary: str = "<p>Samenvatting.</p>",
) -> Item:
    return Item(
        id=Item.make_id(source, key),
        source=source,
        kind=kind,
        title=title or f"Bericht {key}",
        url=f"https://veiligheidsalliantie.nl/nieuws/{key}/",
        guid=key,
        summary_html=summary,
        published=published,
        themes=themes,
        brand=brand,
    )


def event(key: str, start: datetime, *, title: str | None = None, all_day: bool = False) -> Item:
    return Item(
        id=Item.make_id("var-agenda", key),
        source="var-agenda",
        kind=ItemKind.EVENT,
        title=title or f"Bijeenkomst {key}",
        url=f"https://veiligheidsalliantie.nl/agenda/{key}/",
        guid=key,
        brand="var",
        themes=("kennisbijeenkomsten",),
        event=EventInfo(start=start, all_day=all_day, location="Rotterdam", uid=key),
    )


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
