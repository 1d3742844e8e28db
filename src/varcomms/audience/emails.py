"""SQL helpers for batches of values (addresses, mostly): ``IN`` lists and arrays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

T = TypeVar("T")


def padded(values: Iterable[T]) -> list[T]:
    """A list for ``IN (…)``, its length rounded up to a multiple of 64 by repeating
    the last value (which changes no result).

    Every distinct length is a distinct SQL statement, and drivers keep a cache of
    prepared statements; padding keeps a long import to a handful of shapes, so that
    cache — and the process's memory — stays small and flat.
    """
    items = list(values)
    if items and len(items) % 64:
        items.extend([items[-1]] * (64 - len(items) % 64))
    return items


def among(db: Connection, column: ColumnElement[T], values: Iterable[T]) -> ColumnElement[bool]:
    """SQL: ``column`` is one of ``values`` (a batch's worth).

    On PostgreSQL the values go as one array, ``column = ANY(%s)``: one short statement
    that psycopg prepares once, where an ``IN`` list of a thousand placeholders is
    rendered by SQLAlchemy and parsed by psycopg again on every batch. Elsewhere a
    padded ``IN`` list.
    """
    if db.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(padded(values))
