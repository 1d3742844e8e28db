"""events stage: webhook tokens already seen, so a replayed webhook is refused; provider
events find their ledger row by Message-ID through an index.

Revision ID: 0011
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from varcomms.store.schema import UTCDateTime

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_tokens",
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=200), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "token"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_message_id", ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_message_id")
    op.drop_table("webhook_tokens")
