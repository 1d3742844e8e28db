"""Shared fixtures: configuration, databases (SQLite and real PostgreSQL), clock, CLI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from varcomms.clock import FakeClock
from varcomms.config import Config, load_config
from varcomms.context import Context
from varcomms.store import Store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Real-world test data that lives beside the project, never inside it.
SHARED = Path(os.environ.get("VARCOMMS_SHARED_DIR", ROOT.parent / "shared"))
# The PostgreSQL cases run by default, against the local server `.ci/run` starts; they
# fail (not skip) when it does not answer. VARCOMMS_TEST_POSTGRES_URL= (empty) skips them.
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL = os.environ.get("VARCOMMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when that folder is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (shared test data lives beside the project)")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2022, 2, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def sample_config(tmp_path: Path) -> Config:
    """The repository's own varcomms.toml, with its data folder moved to tmp_path."""
    config = load_config(ROOT / "varcomms.toml")
    paths = config.paths.model_copy(update={"data": tmp_path / "data"})
    return config.model_copy(update={"paths": paths})


def _postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("VARCOMMS_TEST_POSTGRES_URL is empty; PostgreSQL cases skipped")
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"varcomms_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as err:
        pytest.fail(
            f"PostgreSQL does not answer at {POSTGRES_URL} ({type(err.orig).__name__}): "
            "start it (`bash .ci/run` installs and starts one), point "
            "VARCOMMS_TEST_POSTGRES_URL at another server, or set it empty to skip these cases",
            pytrace=False,
        )
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'test.db'}")
    yield store
    store.close()


@pytest.fixture
def context(sample_config: Config, store: Store, clock: FakeClock) -> Iterator[Context]:
    """A Context on the sample config, a migrated database and a fake clock."""
    ctx = Context(
        config=sample_config,
        clock=clock,
        console=Console(file=StringIO(), width=120),
        database_url=str(store.engine.url.render_as_string(hide_password=False)),
    )
    ctx.__dict__["store"] = store  # share the fixture's engine
    yield ctx


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """Run `varcomms …` in-process; returns exit code and captured output."""
    from varcomms.cli.main import run

    def invoke(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        out, err = StringIO(), StringIO()
        code = run(
            list(args),
            stdout=Console(file=out, width=200, no_color=True),
            stderr=Console(file=err, width=200, no_color=True),
        )
        return CliResult(code, out.getvalue(), err.getvalue())

    return invoke
