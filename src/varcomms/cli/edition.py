"""`varcomms edition …`: list, show, lint, approve and reopen editions."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from varcomms.cli.output import data as esc
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.editions import (
    VoidedSignOff,
    check_signoffs,
    list_editions,
    read_folder,
    required_roles,
)
from varcomms.editions.signoff import ROLE_LABELS
from varcomms.errors import InputError, VarcommsError
from varcomms.models import EditionStatus

if TYPE_CHECKING:
    from varcomms.editions import LintReport

# The workflow, lint and review (with the renderer) are imported inside the commands
# that use them: `edition list` and `edition show` only read files.

app = typer.Typer(help="Review, lint and sign off editions.", no_args_is_help=True)

IdArgument = typer.Argument(metavar="ID", help="Edition id, e.g. 2022-03.")
STATUS_STYLE = {
    "draft": "cyan",
    "review": "yellow",
    "approved": "green",
    "scheduled": "blue",
    "sending": "magenta",
    "sent": "dim",
    "cancelled": "red",
}


def _status(status: EditionStatus | None) -> str:
    if status is None:
        return "[red]unreadable[/red]"
    return f"[{STATUS_STYLE[status.value]}]{status.value}[/]"


def _print_voided(ctx: typer.Context, voided: list[VoidedSignOff]) -> None:
    for void in voided:
        state(ctx).stdout.print(f"[yellow]{esc(void.describe())}[/yellow]")


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """All editions with status and planned date."""
    summaries = list_editions(state(ctx).context().config)
    if as_json:
        print_json(ctx, [summary.to_dict() for summary in summaries])
        return
    table = Table("id", "nr", "title", "status", "planned", "items", "sign-offs")
    for s in summaries:
        if s.error:
            table.add_row(s.id, "", f"[red]{esc(s.error)}[/red]", _status(None), "", "", "")
            continue
        signed = ", ".join(s.signed)
        if s.voided:
            signed += f" [yellow](void: {', '.join(s.voided)})[/yellow]"
        planned = f"{s.planned:%Y-%m-%d %H:%M}" if s.planned else "-"
        table.add_row(
            s.id,
            str(s.number),
            esc(s.title or ""),
            _status(s.status),
            planned,
            str(s.items),
            signed,
        )
    if not summaries:
        state(ctx).stdout.print("No editions yet; create one with `varcomms draft new`.")
        return
    state(ctx).stdout.print(table)


@app.command()
def show(ctx: typer.Context, edition_id: str = IdArgument, as_json: bool = JsonOption) -> None:
    """An edition's settings, sign-offs and sections with their items."""
    config = state(ctx).context().config
    doc = read_folder(config, edition_id)
    edition = doc.to_edition()
    valid, voided = check_signoffs(doc)
    if as_json:
        data: dict[str, Any] = edition.model_dump(mode="json")
        data["signoffs"] = [record.model_dump(mode="json") for record in valid]
        data["voided_signoffs"] = [void.to_dict() for void in voided]
        print_json(ctx, data)
        return
    limits = config.editions
    facts = Table.grid(padding=(0, 2))
    planned = f"{edition.planned:%Y-%m-%d %H:%M %Z}" if edition.planned else "-"
    subject_len = f"[dim]({len(edition.subject)}/{limits.subject_max_chars})[/dim]"
    preheader_len = f"[dim]({len(edition.preheader)}/{limits.preheader_max_chars})[/dim]"
    rows = [
        ("title", esc(edition.title)),
        ("subject", f"{esc(edition.subject)} {subject_len}"),
        ("preheader", f"{esc(edition.preheader)} {preheader_len}"),
        ("planned", planned),
        ("status", _status(edition.status)),
        ("brands", ", ".join(edition.brands)),
        (
            "kind",
            edition.kind + (f", template {esc(edition.template)}" if edition.template else ""),
        ),
        ("audience", esc(edition.audience or "all subscribers")),
    ]
    signed = {str(record.role): record for record in valid}
    for role in required_roles(edition.brands):
        record = signed.get(role)
        text = (
            f"[green]signed[/green] by {esc(record.by)} at {record.at:%Y-%m-%d %H:%M}"
            if record
            else "[dim]not yet[/dim]"
        )
        rows.append((f"{ROLE_LABELS[role]} sign-off", text))
    for key, value in rows:
        facts.add_row(f"[bold]{key}[/bold]", value)
    tree = Tree("[bold]content[/bold]")
    for section in edition.all_sections:
        label = f"{esc(section.title)} [dim]({section.slug}.md"
        label += f", only for theme {esc(section.theme)}" if section.theme else ""
        label += ")[/dim]"
        branch = tree.add(label)
        for item in section.items:
            when = ""
            if item.event is not None:
                fmt = "%Y-%m-%d" if item.event.all_day else "%Y-%m-%d %H:%M"
                when = f"{item.event.start.astimezone(config.tz):{fmt}}  "
            themes = f" [dim]{esc(', '.join(item.themes))}[/dim]" if item.themes else ""
            branch.add(f"{when}{esc(item.title)}{themes}")
        if not section.items:
            branch.add("[yellow](no items)[/yellow]")
    out = state(ctx).stdout
    out.print(Panel(Group(facts, tree), title=f"Edition {edition.id} (nr. {edition.number})"))
    _print_voided(ctx, voided)


def _print_report(ctx: typer.Context, report: LintReport) -> None:
    out = state(ctx).stdout
    if report.findings:
        table = Table("", "where", "check", "message")
        for finding in report.findings:
            mark = "[red]error[/red]" if finding.severity == "error" else "[yellow]warning[/yellow]"
            table.add_row(mark, esc(finding.where), finding.code, esc(finding.message))
        out.print(table)
    links = f", {report.links_checked} link(s) checked" if report.links_checked else ""
    verdict = "[green]ok[/green]" if report.ok else "[red]not ready for sign-off[/red]"
    out.print(
        f"{report.edition_id}: {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s){links} — {verdict}"
    )


@app.command()
def lint(
    ctx: typer.Context,
    edition_id: str = IdArgument,
    check_links: Annotated[
        bool, typer.Option("--check-links", help="Also check that every link resolves.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each link (with --check-links).")
    ] = 10.0,
    as_json: bool = JsonOption,
) -> None:
    """Check an edition's content and its rendered email; exits 1 when there are errors."""
    from varcomms.review import lint_edition

    report = lint_edition(
        state(ctx).context(), edition_id, check_links=check_links, link_timeout=timeout
    )
    if as_json:
        print_json(ctx, report.to_dict())
    else:
        _print_report(ctx, report)
    if not report.ok:
        # An error (not typer.Exit) so the one error edge sets the exit code.
        raise VarcommsError(
            f"edition {edition_id} has {len(report.errors)} lint error(s)",
            hint="errors block sign-off; warnings do not",
        )


@app.command("approve")
def approve_cmd(
    ctx: typer.Context,
    edition_id: str = IdArgument,
    role: Annotated[
        str,
        typer.Option("--as", help="Sign as 'var' (the whole edition) or 'riec' (riec.md)."),
    ] = ...,  # type: ignore[assignment]
    by: Annotated[
        str | None, typer.Option("--by", help="Who signs (default: your user name).")
    ] = None,
) -> None:
    """Sign off an edition (or the RIEC section). Lint and render errors block a sign-off."""
    role = role.lower()
    if role not in ROLE_LABELS:
        raise InputError(f"--as {role}: sign as 'var' or 'riec'")
    from varcomms.review import approve

    result = approve(state(ctx).context(), edition_id, role, by or getpass.getuser())
    _print_voided(ctx, result.voided)
    out = state(ctx).stdout
    out.print(
        f"{ROLE_LABELS[role]} sign-off recorded for {edition_id} by {result.signoff.by} "
        f"[dim](content {result.signoff.content_hash[:12]})[/dim]."
    )
    if result.approved:
        out.print(f"Edition {edition_id} is [green]approved[/green].")
    else:
        waiting = " and ".join(ROLE_LABELS[r] for r in result.waiting_for)
        out.print(f"Edition {edition_id} is in review, waiting for the {waiting} sign-off.")


@app.command("reopen")
def reopen_cmd(ctx: typer.Context, edition_id: str = IdArgument) -> None:
    """Take an edition back to draft for changes (sign-offs stay until an edit voids them)."""
    from varcomms.editions.workflow import reopen

    result = reopen(state(ctx).context(), edition_id)
    _print_voided(ctx, result.voided)
    state(ctx).stdout.print(
        f"Edition {edition_id}: {result.previous.value} → {_status(result.edition.status)}."
    )


@app.command("submit")
def submit_cmd(ctx: typer.Context, edition_id: str = IdArgument) -> None:
    """Hand a draft to the reviewers (draft → review)."""
    from varcomms.editions.workflow import transition

    result = transition(state(ctx).context(), edition_id, EditionStatus.REVIEW)
    _print_voided(ctx, result.voided)
    state(ctx).stdout.print(
        f"Edition {edition_id}: {result.previous.value} → {_status(result.edition.status)}."
    )


@app.command("cancel")
def cancel_cmd(ctx: typer.Context, edition_id: str = IdArgument) -> None:
    """Cancel an edition that has not been sent (reopen brings it back)."""
    from varcomms.editions.workflow import transition

    result = transition(state(ctx).context(), edition_id, EditionStatus.CANCELLED)
    state(ctx).stdout.print(
        f"Edition {edition_id}: {result.previous.value} → {_status(result.edition.status)}."
    )


@app.command("schedule")
def schedule_cmd(ctx: typer.Context, edition_id: str = IdArgument) -> None:
    """Hand an approved edition to the scheduler (approved → scheduled; its time must lie ahead)."""
    from varcomms.scheduler import schedule_edition

    result = schedule_edition(state(ctx).context(), edition_id)
    _print_voided(ctx, result.voided)
    planned = result.edition.planned
    when = f" for {planned:%Y-%m-%d %H:%M}" if planned else ""
    state(ctx).stdout.print(
        f"Edition {edition_id}: {result.previous.value} → {_status(result.edition.status)}{when}."
    )


@app.command("unschedule")
def unschedule_cmd(ctx: typer.Context, edition_id: str = IdArgument) -> None:
    """Take an edition off the scheduler (scheduled → approved)."""
    from varcomms.editions import unschedule

    result = unschedule(state(ctx).context(), edition_id)
    state(ctx).stdout.print(
        f"Edition {edition_id}: {result.previous.value} → {_status(result.edition.status)}."
    )
