"""scheduler stage: APScheduler's job table, the notices done once, the send claims.

Revision ID: 0009
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from varcomms.store.schema import UTCDateTime

revision = "0009"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_jobs")),
    )
    op.create_index(
        op.f("ix_scheduler_jobs_next_run_time"), "scheduler_jobs", ["next_run_time"], unique=False
    )
    op.create_table(
        "scheduler_notices",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("edition_id", sa.String(length=50), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_scheduler_notices")),
    )
    op.create_table(
        "scheduler_sends",
        sa.Column("edition_id", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("edition_id", name=op.f("pk_scheduler_sends")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_sends")
    op.drop_table("scheduler_notices")
    op.drop_index(op.f("ix_scheduler_jobs_next_run_time"), table_name="scheduler_jobs")
    op.drop_table("scheduler_jobs")
