"""privacy: subscriber ids are never handed out twice (SQLite AUTOINCREMENT).

Without AUTOINCREMENT, SQLite gives the next new row the highest id that was deleted,
so the links in an erased person's old mail (which name a subscriber id) would act on
the next newcomer. PostgreSQL's identity sequences never reuse a value: nothing to do.

Revision ID: 0007
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    ddl = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'subscribers'"
    ).scalar_one()
    if "AUTOINCREMENT" in ddl.upper():
        return
    # Rebuilding the table drops the old one, and with foreign keys on, SQLite's implicit
    # DELETE would cascade into every table that refers to it (subscriber_themes): keep
    # their rows aside meanwhile. Names come from the schema itself, not from input.
    children = [
        name
        for (name,) in bind.exec_driver_sql(
            "SELECT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f "
            "WHERE m.type = 'table' AND f.\"table\" = 'subscribers'"
        )
    ]
    for child in dict.fromkeys(children):
        aside = f'CREATE TEMPORARY TABLE "aside_{child}" AS SELECT * FROM "{child}"'  # noqa: S608
        bind.exec_driver_sql(aside)
    with op.batch_alter_table(
        "subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    for child in dict.fromkeys(children):
        bind.exec_driver_sql(f'DELETE FROM "{child}"')  # noqa: S608 - from sqlite_master
        back = f'INSERT INTO "{child}" SELECT * FROM "aside_{child}"'  # noqa: S608
        bind.exec_driver_sql(back)
        bind.exec_driver_sql(f'DROP TABLE "aside_{child}"')
    # Ids handed out before (also of people erased since) are never given again: start
    # above every id the tables still remember.
    bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'subscribers'")
    bind.exec_driver_sql(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'subscribers', max(m) FROM ("
        " SELECT coalesce(max(id), 0) AS m FROM subscribers"
        " UNION ALL SELECT coalesce(max(subscriber_id), 0) FROM deliveries)"
    )


def downgrade() -> None:
    pass
