"""privacy: subscriber ids are never handed out twice (SQLite AUTOINCREMENT).

Without AUTOINCREMENT, SQLite gives the next new row the highest id that was deleted,
so the links in an erased person's old mail (which name a subscriber id) would act on
the next newcomer. PostgreSQL's identity sequences never reuse a value: nothing to do.

Revision ID: 0007
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0011"
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
    # DELETE would cascade into subscriber_themes: keep the themes aside meanwhile.
    bind.exec_driver_sql(
        "CREATE TEMPORARY TABLE varcomms_themes_aside AS SELECT * FROM subscriber_themes"
    )
    with op.batch_alter_table(
        "subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass
    bind.exec_driver_sql("DELETE FROM subscriber_themes")
    bind.exec_driver_sql("INSERT INTO subscriber_themes SELECT * FROM varcomms_themes_aside")
    bind.exec_driver_sql("DROP TABLE varcomms_themes_aside")
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
