"""The store: migrations apply on SQLite and PostgreSQL, times come back aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from varcomms.store import Store
from varcomms.store.schema import deliveries, items, metadata, sends, subscribers


def test_migrations_reach_head_and_match_schema(store: Store) -> None:
    assert store.current_revision() == Store.head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert set(metadata.tables) <= tables
    for name, table in metadata.tables.items():
        columns = {c["name"] for c in inspect(store.engine).get_columns(name)}
        assert columns == {c.name for c in table.columns}, name


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    from varcomms.store import HEAD_REVISION

    assert Store.head_revision() == HEAD_REVISION


def test_upgrade_is_idempotent(store: Store) -> None:
    before = store.current_revision()
    assert store.upgrade() == before


def test_times_round_trip_as_aware_utc(store: Store) -> None:
    amsterdam = timezone(timedelta(hours=1))
    seen = datetime(2022, 2, 15, 14, 30, tzinfo=amsterdam)
    with store.begin() as db:
        db.execute(
            insert(items).values(
                id="a1",
                source="s",
                kind="news",
                url="https://example.org/a",
                title="A",
                summary_html="",
                themes=["ondermijning"],
                status="new",
                content_hash="h",
                first_seen=seen,
                last_seen=seen,
                published_at=seen,
            )
        )
    with store.connect() as db:
        row = db.execute(select(items).where(items.c.id == "a1")).one()
    assert row.published_at == datetime(2022, 2, 15, 13, 30, tzinfo=UTC)
    assert row.published_at.tzinfo is not None
    assert row.themes == ["ondermijning"]


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"), store.begin() as db:
        db.execute(
            insert(sends).values(
                id="s1",
                edition_id="2022-01",
                provider="outbox",
                is_test=False,
                status="running",
                created_at=datetime(2022, 1, 1),  # noqa: DTZ001
            )
        )


def test_one_delivery_row_per_person_per_edition(store: Store) -> None:
    now = datetime(2022, 2, 1, tzinfo=UTC)
    with store.begin() as db:
        db.execute(
            insert(sends).values(
                id="s1",
                edition_id="2022-01",
                provider="outbox",
                is_test=False,
                status="running",
                created_at=now,
            )
        )
        db.execute(
            insert(deliveries).values(
                send_id="s1",
                edition_id="2022-01",
                recipient_key="a@example.org",
                email="a@example.org",
                variant="v",
                state="pending",
                attempts=0,
                updated_at=now,
            )
        )
    with pytest.raises(IntegrityError), store.begin() as db:
        db.execute(
            insert(deliveries).values(
                send_id="s1",
                edition_id="2022-01",
                recipient_key="a@example.org",
                email="a@example.org",
                variant="v",
                state="pending",
                attempts=0,
                updated_at=now,
            )
        )


def test_subscriber_email_is_unique(store: Store) -> None:
    now = datetime(2022, 2, 1, tzinfo=UTC)
    row = dict(
        email="a@example.org",
        org_type="gemeente",
        language="nl",
        status="subscribed",
        created_at=now,
        updated_at=now,
    )
    with store.begin() as db:
        db.execute(insert(subscribers).values(**row))
    with pytest.raises(IntegrityError), store.begin() as db:
        db.execute(insert(subscribers).values(**row))


def test_unreachable_database_is_a_clear_error(tmp_path) -> None:
    from varcomms.errors import StoreError

    with pytest.raises(StoreError, match="cannot open the database"):
        Store.open("postgresql://nobody@127.0.0.1:1/none")


def test_cli_db_upgrade_and_status(cli, tmp_path) -> None:
    from tests.conftest import ROOT

    config = tmp_path / "varcomms.toml"
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('data = "data"', f'data = "{tmp_path / "data"}"'))
    for name in ("templates", "samples"):
        (tmp_path / name).symlink_to(ROOT / name)
    result = cli("--config", str(config), "db", "upgrade")
    assert result.code == 0, result
    assert Store.head_revision() in result.stdout
    result = cli("--config", str(config), "db", "status", "--json")
    assert result.code == 0, result
    assert '"current": "' + Store.head_revision() + '"' in result.stdout
