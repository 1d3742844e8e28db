"""`varcomms db …`: the database schema."""

from __future__ import annotations

import typer

from varcomms.cli.state import JsonOption, print_json, state
from varcomms.store import Store

app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply pending database migrations (also done automatically on first use)."""
    cli = state(ctx)
    revision = cli.context().store.upgrade()
    cli.stdout.print(f"Database is at revision [bold]{revision}[/bold].")


@app.command()
def status(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Show the database URL (without password) and its schema revision."""
    cli = state(ctx)
    store = Store.open(cli.context().db_url, upgrade=False)
    try:
        data = {
            "url": store.shown_url,
            "current": store.current_revision(),
            "head": Store.head_revision(),
        }
    finally:
        store.close()
    if as_json:
        print_json(ctx, data)
        return
    cli.stdout.print(f"database  {data['url']}")
    cli.stdout.print(f"revision  {data['current'] or '(empty)'} (latest: {data['head']})")
