"""`varcomms send …`: send an edition, or show how its send is going."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from varcomms.cli.progress import count_bar
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.delivery import (
    SendReport,
    SendStatus,
    SendSummary,
    plan_send,
    send_edition,
    send_status,
)
from varcomms.errors import VarcommsError


class SendPausedError(VarcommsError):
    """A run of failures paused the send; the report was printed before this."""

    exit_code = 3


class _SendGroup(TyperGroup):
    """`send ID …` runs the send; `send status ID` is the one sub-command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_SendGroup,
    help="Send an edition: `varcomms send ID …`; progress: `varcomms send status ID`.",
    no_args_is_help=True,
)


def _summary_table(summary: SendSummary) -> Table:
    table = Table(
        title=f"About to send {summary.edition_id}" + (" (test)" if summary.is_test else "")
    )
    table.add_column("variant")
    table.add_column("recipients", justify="right")
    for variant, count in sorted(summary.per_variant.items()):
        table.add_row(variant, str(count))
    table.add_row("[bold]total[/bold]", f"[bold]{summary.recipients}[/bold]")
    table.caption = (
        f"provider {summary.provider} · {summary.rate_per_second:g} messages/s · "
        f"{summary.suppressed} suppressed"
        + (f" · {summary.already_done} already done earlier" if summary.already_done else "")
    )
    return table


def _report_table(report: SendReport) -> Table:
    table = Table(title=f"Send {report.send_id}: {report.status}")
    table.add_column("result")
    table.add_column("count", justify="right")
    for label, value in (
        ("sent", report.sent),
        ("failed", report.failed),
        ("suppressed", report.suppressed),
        ("done in an earlier run", report.already_done),
        ("settled with the provider after a crash", report.reconciled),
        ("uncertain (held)", report.uncertain),
        ("not accepted yet (resume later)", report.deferred),
    ):
        if value or label in ("sent", "failed"):
            table.add_row(label, str(value))
    return table


@app.command("run")
def send(
    ctx: typer.Context,
    edition: Annotated[str, typer.Argument(help="The edition id, e.g. 2022-02.")],
    segment: Annotated[
        str | None, typer.Option(help="Send to this segment instead of the edition's audience.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build every message, then discard it.")
    ] = False,
    test_to: Annotated[
        list[str] | None,
        typer.Option("--test-to", help="Send a test to this address (repeatable)."),
    ] = None,
    test: Annotated[
        bool, typer.Option("--test", help="Send a test to delivery.test_addresses.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted or paused send.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Send an approved edition to its audience, once per person (`send ID` for short)."""
    cli = state(ctx)
    context = cli.context()
    addresses = tuple(test_to or ())
    if test and not addresses:
        addresses = context.config.delivery.test_addresses
        if not addresses:
            raise VarcommsError(
                "--test needs delivery.test_addresses in varcomms.toml",
                hint="or name the addresses with --test-to",
            )
    summary = plan_send(context, edition, segment=segment, test_to=addresses, dry_run=dry_run)
    if not as_json:
        cli.stdout.print(_summary_table(summary))
    if not yes and not dry_run:
        question = f"Send {edition} to {summary.recipients} recipient(s)?"
        if not typer.confirm(question, default=False):
            raise VarcommsError(
                "not sent: the send was not confirmed", hint="--yes skips the question"
            )
    with count_bar(cli.stderr, "sending", summary.recipients, disable=as_json) as advance:
        report = send_edition(
            context,
            edition,
            segment=segment,
            dry_run=dry_run,
            test_to=addresses,
            resume=resume,
            progress=advance,
        )
    if as_json:
        print_json(ctx, report.to_dict())
        return
    cli.stdout.print(_report_table(report))
    if report.failures:
        cli.stdout.print("Failures (first ones):")
        for email, reason in report.failures:
            cli.stdout.print(f"  {email}: {reason}", highlight=False)
    if report.outbox:
        cli.stdout.print(f"Messages written to {report.outbox}", highlight=False)
    if report.paused:
        raise SendPausedError(
            f"the send paused: {report.pause_reason}",
            hint=f"fix the cause, then continue with: varcomms send {edition} --resume",
        )
    if report.uncertain:
        cli.stderr.print(
            f"{report.uncertain} message(s) are uncertain and were held "
            "(delivery.uncertain_policy = hold); see `varcomms send status`",
        )


def _status_table(status: SendStatus) -> Table:
    table = Table(title=f"Send status of {status.edition_id}")
    states = ("sent", "pending", "failed", "suppressed", "uncertain")
    table.add_column("variant")
    for name in states:
        table.add_column(name, justify="right")
    for variant, counts in sorted(status.per_variant.items()):
        table.add_row(variant, *(str(counts.get(name, 0)) for name in states))
    table.add_row("[bold]total[/bold]", *(str(status.states.get(name, 0)) for name in states))
    return table


@app.command("status")
def status_command(
    ctx: typer.Context,
    edition: Annotated[str, typer.Argument(help="The edition id.")],
    as_json: bool = JsonOption,
) -> None:
    """Progress of an edition's send: per state, per variant, failures with reasons."""
    cli = state(ctx)
    status = send_status(cli.context(), edition)
    if as_json:
        print_json(ctx, status.to_dict())
        return
    for row in status.sends:
        kind = "test" if row["test"] else "send"
        cli.stdout.print(
            f"{kind} {row['id']}: {row['status']} via {row['provider']}"
            + (f" ({row['note']})" if row["note"] else ""),
            highlight=False,
        )
    cli.stdout.print(_status_table(status))
    if status.in_flight:
        cli.stdout.print(f"{status.in_flight} message(s) in flight")
    for failure in status.failures:
        cli.stdout.print(f"  failed {failure['email']}: {failure['reason']}", highlight=False)
    for email in status.uncertain:
        cli.stdout.print(f"  uncertain {email}", highlight=False)
