"""audience stage: subscribers get their address's domain, so domain suppressions are SQL.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("domain", sa.String(length=255), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE subscribers SET domain = split_part(email, '@', 2)")
    else:
        op.execute("UPDATE subscribers SET domain = substr(email, instr(email, '@') + 1)")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.alter_column("domain", existing_type=sa.String(length=255), nullable=False)
        batch_op.create_index("ix_subscribers_domain", ["domain"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_subscribers_domain")
        batch_op.drop_column("domain")
