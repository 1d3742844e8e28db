"""`varcomms draft …`: create an edition folder from the pool, refresh it later."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from varcomms.cli.output import data as esc
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.editions import draft_new, refresh
from varcomms.editions.formats import parse_when
from varcomms.errors import InputError
from varcomms.models import Edition

app = typer.Typer(help="Draft editions from the item pool.", no_args_is_help=True)


def _counts_table(edition: Edition) -> Table:
    table = Table("file", "section", "items", title=f"Edition {edition.id}")
    for section in edition.all_sections:
        theme = f" [dim](theme {esc(section.theme)})[/dim]" if section.theme else ""
        table.add_row(f"{section.slug}.md", f"{esc(section.title)}{theme}", str(len(section.items)))
    return table


@app.command("new")
def new(
    ctx: typer.Context,
    edition_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="Edition id like 2022-03 (default: next number)."),
    ] = None,
    when: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Planned send date or time, Europe/Amsterdam: 2022-03-01 or '2022-03-01 09:00'.",
        ),
    ] = None,
    var_only: Annotated[
        bool, typer.Option("--var-only", help="A VAR-only edition (no RIEC section).")
    ] = False,
    special: Annotated[
        bool, typer.Option("--special", help="A themed special rather than a regular edition.")
    ] = False,
    audience: Annotated[
        str | None, typer.Option(help="Segment to send to (default: all subscribers).")
    ] = None,
    template: Annotated[str | None, typer.Option(help="Template of a special.")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Create newsletters/ID/ from the pool: news, agenda, campaign and RIEC items."""
    cli = state(ctx)
    brands = ("var",) if var_only else ("var", "riec")
    context = cli.context()
    planned: datetime | date | None = None
    if when is not None:
        try:
            moment, date_only = parse_when(when, context.config.tz)
        except ValueError as err:
            raise InputError(f"--date {when!r}: {err}") from err
        planned = moment.date() if date_only else moment
    edition = draft_new(
        context,
        edition_id,
        planned=planned,
        brands=brands,
        kind="special" if special else "regular",
        audience=audience,
        template=template,
    )
    folder = context.config.newsletters_dir / edition.id
    if as_json:
        print_json(
            ctx,
            {
                "id": edition.id,
                "number": edition.number,
                "planned": edition.planned.isoformat() if edition.planned else None,
                "folder": str(folder),
                "sections": {f"{s.slug}.md": len(s.items) for s in edition.all_sections},
            },
        )
        return
    cli.stdout.print(_counts_table(edition))
    planned_text = f"{edition.planned:%Y-%m-%d %H:%M}" if edition.planned else "not planned"
    cli.stdout.print(
        f"Drafted [bold]{edition.id}[/bold] (nr. {edition.number}, planned {planned_text}) "
        f"in {folder}"
    )
    cli.stdout.print("Next: write intro.md, then `varcomms edition lint " + edition.id + "`.")


@app.command("refresh")
def refresh_cmd(
    ctx: typer.Context,
    edition_id: Annotated[str, typer.Argument(metavar="ID", help="The edition to refresh.")],
    as_json: bool = JsonOption,
) -> None:
    """Append pool items that came in since the draft was made."""
    cli = state(ctx)
    report = refresh(cli.context(), edition_id)
    if as_json:
        print_json(
            ctx,
            {
                "id": edition_id,
                "added": report.added,
                "new_sections": report.new_sections,
                "voided_signoffs": [void.to_dict() for void in report.voided],
            },
        )
        return
    for void in report.voided:
        cli.stdout.print(f"[yellow]{esc(void.describe())}[/yellow]")
    if not report.total:
        cli.stdout.print(f"Nothing new in the pool for {edition_id}.")
        return
    table = Table("file", "added")
    for name, count in report.added.items():
        table.add_row(
            name + (" [dim](new section)[/dim]" if name[:-3] in report.new_sections else ""),
            str(count),
        )
    cli.stdout.print(table)
    cli.stdout.print(f"Added {report.total} item(s) to {edition_id}.")
