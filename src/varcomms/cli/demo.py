"""`varcomms demo`: run the whole pipeline on the bundled samples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from varcomms.cli.progress import CollectBar, count_bar
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.demo import DemoProgress, DemoReport, run_demo


def demo(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo's database, edition and mail.")
    ] = Path("demo"),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the demo folder first and start over.")
    ] = False,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler",
            help="Schedule the edition and let the real scheduler send it, on a shifted clock.",
        ),
    ] = False,
    as_json: bool = JsonOption,
) -> None:
    """Collect, draft, render and send the sample edition to the sample audience (offline)."""
    cli = state(ctx)
    context = cli.context()
    console = cli.stderr

    def step(message: str) -> None:
        if not as_json:
            console.print(f"[dim]·[/dim] {message}", highlight=False)

    with CollectBar(console) as collect_bar, count_bar(console, "sending", None) as advance:
        report = run_demo(
            context.config,
            out,
            secrets=context.secrets,
            fresh=fresh,
            scheduled=scheduler,
            progress=DemoProgress(collect=collect_bar, send=advance, step=step),
        )
    if as_json:
        print_json(ctx, _as_dict(report))
        return
    _print_summary(cli.stdout, report)


def _as_dict(report: DemoReport) -> dict[str, object]:
    return {
        "folder": str(report.folder),
        "seconds": round(report.seconds, 2),
        "collected": report.collected.to_dict(),
        "edition": {"id": report.edition.id, "status": report.edition.status.value},
        "render": {r.variant.key: str(r.html_path) for r in report.rendered.variants},
        "open": {r.variant.key: str(r.web_path) for r in report.rendered.variants},
        "imported": report.imported.to_dict(),
        "sent_now": report.sent.sent if report.sent else 0,
        "ledger": report.ledger,
        "per_variant": report.per_variant,
        "outbox": str(report.outbox),
        "by_scheduler": report.by_scheduler,
        "preferences_url": report.preferences_url,
    }


def _print_summary(out: Console, report: DemoReport) -> None:
    collected = report.collected
    totals = [sum(getattr(s, name) for s in collected.sources) for name in ("new", "updated")]
    edition = report.edition
    table = Table(title=f"varcomms demo — edition {edition.id}", show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # paths stay whole (folded), never cut off with "…"
    table.add_row(
        "collected",
        f"{len(collected.sources)} sources: {totals[0]} new, {totals[1]} updated items",
    )
    table.add_row("edition", f"{edition.id} «{edition.subject}» — {edition.status.value}")
    sections = ", ".join(f"{s.title} ({len(s.items)})" for s in edition.all_sections)
    table.add_row("sections", sections)
    imported = report.imported
    table.add_row(
        "audience",
        f"{imported.total} rows: {imported.count('added')} added, "
        f"{imported.count('unchanged')} unchanged, {imported.count('skipped')} skipped",
    )
    for key, count in sorted(report.per_variant.items()):
        table.add_row(f"variant {key}", f"{count} recipients")
    sent_now = report.sent.sent if report.sent else 0
    table.add_row(
        "sent",
        ("by the scheduler" if report.by_scheduler else f"{sent_now} now")
        + "; ledger: "
        + ", ".join(f"{n} {state}" for state, n in sorted(report.ledger.items())),
    )
    table.add_row("mail", f"{report.outbox} (one .eml per recipient, plus index)")
    for rendered in report.rendered.variants:
        # The web version: the email as a reader sees it, with the general links filled in
        # (the .html beside it still holds the %%VARCOMMS_…%% placeholders delivery fills).
        table.add_row(f"open ({rendered.variant.key})", rendered.web_path.as_uri())
    table.add_row("time", f"{report.seconds:.1f} s")
    out.print(table)
    if report.by_scheduler:
        out.print(
            f"The scheduler sent {edition.id} at its planned time "
            "(its clock shifted to seconds before it); see the decisions above."
        )
    elif report.sent is None:
        out.print(
            "The edition was sent in an earlier run; nobody got a second copy. "
            "Use --fresh to start over."
        )
    if report.preferences_url:
        out.print(
            "Try the subscriber pages: run "
            f"[bold]varcomms serve --demo {report.folder}[/bold] and open one sample "
            f"reader's preference centre:\n{report.preferences_url}",
            highlight=False,
            soft_wrap=True,
        )
