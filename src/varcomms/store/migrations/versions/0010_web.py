"""web app: sign-up requests (double opt-in), rate limits, consent version and pauses.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from varcomms.store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("paused_until", UTCDateTime(), nullable=True))
    op.create_table(
        "optins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("consent_version", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_optins"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_optins_email", "optins", ["email"], unique=False)
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=100), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name="pk_rate_limits"),
    )
    op.create_index("ix_rate_limits_window_start", "rate_limits", ["window_start"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rate_limits_window_start", table_name="rate_limits")
    op.drop_table("rate_limits")
    op.drop_index("ix_optins_email", table_name="optins")
    op.drop_table("optins")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("consent_version")
