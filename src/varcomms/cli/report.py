"""`varcomms report ID` and `varcomms report year YEAR`: what became of the sends."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from varcomms.cli.state import JsonOption, print_json, state

if TYPE_CHECKING:
    from varcomms.report import Counts, EditionReport, YearReport

COLUMNS = (
    ("recipients", "recipients"),
    ("accepted", "accepted"),
    ("delivered", "delivered"),
    ("bounced_hard", "hard bounce"),
    ("bounced_soft", "soft bounce"),
    ("complained", "complaints"),
    ("unsubscribed", "unsubscribed"),
    ("opened", "opened"),
    ("clicked", "clicked"),
)


def report(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(metavar="ID|year", help="An edition id, or 'year' with a YEAR.")
    ],
    year: Annotated[
        int | None, typer.Argument(metavar="[YEAR]", help="The year, after 'year'.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML page.")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Figures per edition (per variant, per segment, top links) or for a whole year."""
    from varcomms.report import edition_report, report_html, year_report

    cli = state(ctx)
    context = cli.context()
    result: EditionReport | YearReport
    if target == "year":
        if year is None:
            raise typer.BadParameter(
                "needs the year, e.g. varcomms report year 2022", param_hint="YEAR"
            )
        result = year_report(context, year)
    else:
        if year is not None:
            raise typer.BadParameter(f"unexpected {year} after an edition id", param_hint="YEAR")
        result = edition_report(context, target)
    if html is not None:
        html.write_text(report_html(context.config, result), encoding="utf-8")
    if as_json:
        print_json(ctx, result.to_dict())
    elif target == "year":
        _print_year(cli.stdout, result)  # type: ignore[arg-type]
    else:
        _print_edition(cli.stdout, result)  # type: ignore[arg-type]
    if html is not None and not as_json:
        cli.stdout.print(f"Wrote {escape(str(html))}", highlight=False)


def _row(counts: Counts) -> list[str]:
    return [str(getattr(counts, key)) for key, _ in COLUMNS]


def _print_edition(out: Console, result: EditionReport) -> None:
    table = Table(title=f"Edition {escape(result.edition_id)}", title_justify="left")
    table.add_column("")
    for _, label in COLUMNS:
        table.add_column(label, justify="right")
    table.add_row("total", *_row(result.totals), style="bold")
    for variant, counts in sorted(result.per_variant.items()):
        table.add_row(f"variant {escape(variant)}", *_row(counts))
    if len(result.per_segment) > 1:
        for segment, counts in sorted(result.per_segment.items()):
            table.add_row(f"segment {escape(segment)}", *_row(counts))
    out.print(table)
    if result.top_links:
        links = Table(title="Top links", title_justify="left")
        links.add_column("url")
        links.add_column("people", justify="right")
        links.add_column("clicks", justify="right")
        for url, people, clicks in result.top_links:
            links.add_row(escape(url), str(people), str(clicks))
        out.print(links)
    out.print(f"[dim]{escape(result.caveat)}[/dim]", highlight=False)


def _print_year(out: Console, result: YearReport) -> None:
    out.print(
        f"{result.year}: {result.subscribers_start} subscribers on 1 January, "
        f"{result.subscribers_end} at the end ({result.growth:+d}).",
        highlight=False,
    )
    table = Table(title="Editions", title_justify="left")
    table.add_column("edition")
    table.add_column("sent")
    for _, label in COLUMNS:
        table.add_column(label, justify="right")
    for line in result.editions:
        table.add_row(escape(line.edition_id), line.sent_at.date().isoformat(), *_row(line.counts))
    out.print(table)
    themes = Table(title="Themes", title_justify="left")
    for name in ("theme", "start", "end", "growth"):
        themes.add_column(name, justify="left" if name == "theme" else "right")
    for slug, (start, end) in sorted(result.themes.items()):
        themes.add_row(escape(slug), str(start), str(end), f"{end - start:+d}")
    out.print(themes)
