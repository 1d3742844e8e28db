"""Alembic environment: migrations run on the connection the Store hands in."""

from __future__ import annotations

from alembic import context

from varcomms.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only alembic's own CLI gets here
    raise RuntimeError("run migrations through `varcomms db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
