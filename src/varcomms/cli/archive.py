"""`varcomms archive …`: the public archive of sent editions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from varcomms.cli.state import JsonOption, print_json, state

app = typer.Typer(help="The public archive of sent editions.", no_args_is_help=True)


@app.command()
def build(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: data/archive)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild every page, changed or not.")
    ] = False,
    as_json: bool = JsonOption,
) -> None:
    """Write a static site of the sent editions: pages, an index by year, an Atom feed."""
    from varcomms.archive import build_archive

    cli = state(ctx)
    with cli.stderr.status("Building the archive…"):
        report = build_archive(cli.context(), out, force=force)
    if as_json:
        print_json(ctx, report.to_dict())
        return
    cli.stdout.print(
        f"{report.editions} edition(s) in {escape(str(report.out_dir))}: "
        f"{len(report.built)} built, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed.",
        highlight=False,
    )
    for edition_id in report.built:
        cli.stdout.print(f"  built    {escape(edition_id)}", highlight=False)
    for edition_id in report.removed:
        cli.stdout.print(f"  removed  {escape(edition_id)}", highlight=False)
    cli.stdout.print(f"Open {escape(str(report.out_dir / 'index.html'))}", highlight=False)
