"""`varcomms config …`: check and show the configuration."""

from __future__ import annotations

import typer
from rich.table import Table

from varcomms.cli.state import JsonOption, print_json, state
from varcomms.redact import mask_url

app = typer.Typer(help="Check and show the configuration.", no_args_is_help=True)


@app.command()
def check(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Validate varcomms.toml and summarise what it configures."""
    context = state(ctx).context()
    config = context.config
    summary = {
        "file": str(config.source_file),
        "brands": sorted(config.brands),
        "themes": len(config.themes),
        "sources": [s.name for s in config.sources],
        "provider": config.provider.name,
        "database": mask_url(context.db_url),
        "timezone": config.timezone,
    }
    if as_json:
        print_json(ctx, summary)
        return
    table = Table(title=f"{config.source_file.name} is valid", show_header=False)
    for key, value in summary.items():
        table.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    state(ctx).stdout.print(table)


@app.command()
def themes(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the configured themes (slug and Dutch label)."""
    config = state(ctx).context().config
    if as_json:
        print_json(ctx, [{"slug": t.slug, "label": t.label} for t in config.themes])
        return
    table = Table("slug", "label")
    for theme in config.themes:
        table.add_row(theme.slug, theme.label)
    state(ctx).stdout.print(table)
