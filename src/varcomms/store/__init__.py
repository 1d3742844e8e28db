"""The database: one engine, migrated to the latest schema on first use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from varcomms.errors import StoreError
from varcomms.keyfile import private_dir, private_file
from varcomms.redact import mask_url
from varcomms.store.schema import metadata

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision. Every command opens the store, and comparing the
# database's revision with this constant lets a current schema skip importing Alembic
# (about 0.4 s). tests/test_store.py checks it against Alembic's own view of the scripts.
HEAD_REVISION = "0007"

__all__ = ["Store", "metadata"]


# Alembic is imported only when the schema is checked or changed: it costs a noticeable
# part of the CLI's start-up, and most commands find the schema current.
def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while a send writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """Owns the engine. ``Store.open(url)`` creates and upgrades the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True, echo: bool = False) -> Store:
        parsed = make_url(url)
        database = parsed.database
        if parsed.drivername.startswith("sqlite") and database not in (None, "", ":memory:"):
            # The database holds personal data: a private folder, a private file (SQLite
            # gives its -wal and -shm files the database file's mode).
            private_dir(Path(database).parent, tighten=False)
            if not Path(database).exists():
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
            private_file(Path(database))
        if parsed.drivername == "postgresql":
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, echo=echo, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if upgrade:
            store.upgrade()
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def shown_url(self) -> str:
        """The URL for messages: passwords masked, in the userinfo and in the query."""
        return mask_url(self.engine.url.render_as_string(hide_password=False))

    def current_revision(self) -> str | None:
        """The revision recorded in the database (None for an empty one)."""
        try:
            with self.engine.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return None
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as err:
            raise StoreError(
                f"cannot open the database {self.shown_url}: {err.orig}",
                hint="check database_url in varcomms.toml (or VARCOMMS_DATABASE_URL)",
            ) from err

    @staticmethod
    def head_revision() -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()

    def upgrade(self, revision: str = "head") -> str | None:
        """Apply pending migrations; cheap when the schema is already current."""
        try:
            if revision == "head" and self.current_revision() == HEAD_REVISION:
                return HEAD_REVISION
            from alembic import command

            with self.engine.begin() as connection:
                command.upgrade(_alembic_config(connection), revision)
        except OperationalError as err:
            raise StoreError(
                f"cannot open the database {self.shown_url}: {err.orig}",
                hint="check database_url in varcomms.toml (or VARCOMMS_DATABASE_URL)",
            ) from err
        except SQLAlchemyError as err:
            raise StoreError(f"database migration failed: {err}") from err
        return self.current_revision()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction that commits on success, rolls back on error."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        self.engine.dispose()


def insert_ignoring_conflicts(
    connection: Connection, table: Table, *, index_elements: list[str] | None = None
) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the connection's dialect.

    Where a unique key decides (one ledger row per person and edition, one event per
    provider event id, one use of a webhook token), two processes inserting the same
    row at once must not fail: the loser inserts nothing.
    """
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)
