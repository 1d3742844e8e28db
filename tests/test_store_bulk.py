"""Bulk mechanics: the same results on SQLite and PostgreSQL (COPY and planner settings
on PostgreSQL only)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, select

from varcomms.store import Store
from varcomms.store.bulk import (
    PAD_TO,
    among,
    insert_rows,
    padded,
    planner_for_bulk,
    refresh_statistics,
    temporary_table,
)
from varcomms.store.schema import subscribers


def _columns() -> tuple[Column[str], Column[int]]:
    return Column("key", String(50), primary_key=True), Column("n", Integer)


def test_padded_lists_come_in_few_lengths_and_mean_the_same() -> None:
    assert padded([]) == []
    for size in (1, 63, 64, 65, 1000):
        values = list(range(size))
        result = padded(values)
        assert len(result) % PAD_TO == 0
        assert result[:size] == values and set(result) == set(values)


def test_rows_go_in_and_come_back_by_key(store: Store) -> None:
    with store.begin() as db:
        planner_for_bulk(db)
        with temporary_table(db, "varcomms_test_bulk", *_columns()) as table:
            insert_rows(db, table, [{"key": f"k{n}", "n": n} for n in range(300)])
            insert_rows(db, table, [])
            wanted = ["k1", "k299", "missing"]
            rows = db.execute(select(table.c.key, table.c.n).where(among(db, table.c.key, wanted)))
            assert sorted(rows) == [("k1", 1), ("k299", 299)]
        # The name is free again within the same transaction.
        with temporary_table(db, "varcomms_test_bulk", *_columns()) as table:
            assert list(db.execute(select(table.c.key))) == []
        refresh_statistics(db, subscribers)
