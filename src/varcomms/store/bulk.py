"""Bulk work in one transaction: many rows in, batches of keys looked up, fast on PostgreSQL.

Mechanics only, no rules: what an import decides lives in the audience; how its rows
reach the database quickly lives here. Every function works on SQLite too, where the
PostgreSQL-only tuning is simply left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    MetaData,
    Table,
    any_,
    bindparam,
    insert,
)

T = TypeVar("T")

# Lists for ``IN (…)`` are padded to a multiple of this (see padded).
PAD_TO = 64


def padded(values: Iterable[T]) -> list[T]:
    """A list for ``IN (…)``, its length rounded up to a multiple of 64 by repeating
    the last value (which changes no result).

    Every distinct length is a distinct SQL statement, and drivers keep a cache of
    prepared statements; padding keeps a long import to a handful of shapes, so that
    cache — and the process's memory — stays small and flat.
    """
    items = list(values)
    if items and len(items) % PAD_TO:
        items.extend([items[-1]] * (PAD_TO - len(items) % PAD_TO))
    return items


def among(db: Connection, column: ColumnElement[T], values: Iterable[T]) -> ColumnElement[bool]:
    """SQL: ``column`` is one of ``values`` (a batch's worth).

    On PostgreSQL the values go as one array, ``column = ANY(%s)``: one short statement
    that psycopg prepares once, where an ``IN`` list of a thousand placeholders is
    rendered by SQLAlchemy and parsed by psycopg again on every batch. Elsewhere a
    padded ``IN`` list.
    """
    if db.dialect.name == "postgresql":
        # Imported here: the dialect module is large, and SQLite never needs it.
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(padded(values))


def insert_rows(db: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys) in this transaction: through COPY on
    PostgreSQL (:func:`copy_rows`), an executemany elsewhere."""
    if not rows:
        return
    if db.dialect.name != "postgresql":
        db.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    copy_rows(db, table, columns, ([row[name] for name in columns] for row in rows))


def copy_rows(
    db: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL only: ``COPY table (columns) FROM STDIN`` with these rows.

    An executemany sends one INSERT per row, and a multi-row INSERT is a statement text
    that psycopg parses anew for every batch (it caches only short ones); either was
    most of an import's time. COPY skips SQLAlchemy's bind processing, which for the
    audience's tables only matters for datetimes: they are aware already, and the
    columns are ``timestamptz``.
    """
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    # psycopg's own cursor (COPY is not in the DB-API types SQLAlchemy declares).
    raw: Any = db.connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def planner_for_bulk(db: Connection) -> None:
    """Plan every batch's key lookups on an index, for the rest of this transaction
    (PostgreSQL; nothing elsewhere)."""
    if db.dialect.name != "postgresql":
        return
    # The driver prepares repeated statements, and PostgreSQL may then reuse one plan
    # made when the table was still empty (a sequential scan) for every batch after;
    # planning each batch's lookups afresh keeps a bulk load linear.
    db.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    # Every query of a bulk load looks up a batch of keys in a unique index. From about
    # 50,000 rows on, the planner's costs favour reading the whole table with a hashed
    # ANY filter instead: 15 times slower in practice (the pages are cached), and slower
    # with every batch. SET LOCAL: within this transaction only.
    db.exec_driver_sql("SET LOCAL enable_seqscan = off")


@contextmanager
def temporary_table(db: Connection, name: str, *columns: Column[Any]) -> Iterator[Table]:
    """A ``TEMPORARY`` table for the length of the block, in this transaction.

    A table left over by an earlier block on the same connection is replaced. It is
    dropped when the block ends normally; after an error the transaction is rolled back,
    which removes it (a failed PostgreSQL transaction would refuse the DROP anyway).
    """
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    table.drop(db, checkfirst=True)
    table.create(db)
    yield table
    table.drop(db, checkfirst=True)


def refresh_statistics(db: Connection, *tables: Table) -> None:
    """``ANALYZE`` these tables (PostgreSQL; nothing elsewhere), so that queries right
    after a bulk load use the indexes instead of waiting for autovacuum to notice."""
    if db.dialect.name == "postgresql" and tables:
        db.exec_driver_sql(f"ANALYZE {', '.join(table.name for table in tables)}")
