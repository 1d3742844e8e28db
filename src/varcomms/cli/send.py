"""`varcomms send …`: send an edition, or show how its send is going."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from varcomms import delivery
from varcomms.cli.progress import count_bar
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.errors import ProviderError, VarcommsError

if TYPE_CHECKING:
    from varcomms.delivery import SendReport, SendStatus, SendSummary

# Exit codes (the README's scheme): 0 everyone settled; 1 a run that finished with
# failures or held rows, or a paused send; 2 usage, input or configuration errors.
UNFINISHED_EXIT = 1
UNCERTAIN_PAGE = 50


class SendPausedError(VarcommsError):
    """The send paused (a configuration error or a run of refused batches); resumable."""

    exit_code = UNFINISHED_EXIT


class SendNotCleanError(VarcommsError):
    """The run ended, but with failed or held rows: the report was printed before this."""

    exit_code = UNFINISHED_EXIT


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
    rate = (
        f"{summary.rate_per_second:g} {summary.rate_unit}/s"
        if summary.rate_per_second
        else "no rate limit"
    )
    table.caption = f"provider {summary.provider} · {rate} · {summary.suppressed} suppressed" + (
        f" · {summary.already_done} already done earlier" if summary.already_done else ""
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
    summary = delivery.plan_send(
        context, edition, segment=segment, test_to=addresses, dry_run=dry_run
    )
    if not as_json:
        cli.stdout.print(_summary_table(summary))
    if not yes and not dry_run:
        question = f"Send {edition} to {summary.recipients} recipient(s)?"
        if not typer.confirm(question, default=False):
            raise VarcommsError(
                "not sent: the send was not confirmed", hint="--yes skips the question"
            )
    with count_bar(cli.stderr, "sending", summary.recipients, disable=as_json) as advance:
        try:
            report = delivery.send_edition(
                context,
                edition,
                segment=segment,
                dry_run=dry_run,
                test_to=addresses,
                resume=resume,
                progress=advance,
            )
        except ProviderError as err:
            paused: SendReport | None = getattr(err, "report", None)
            if paused is None:
                raise
            _print_report(ctx, paused, as_json=as_json)
            raise SendPausedError(
                f"the send paused: {err}",
                hint=(err.hint + "; then " if err.hint else "fix the cause, then ")
                + f"continue with: varcomms send {edition} --resume",
            ) from err
    _print_report(ctx, report, as_json=as_json)
    _exit_for(report, edition)


def _print_report(ctx: typer.Context, report: SendReport, *, as_json: bool) -> None:
    cli = state(ctx)
    if as_json:
        print_json(ctx, report.to_dict())
        return
    cli.stdout.print(_report_table(report))
    if report.failures:
        cli.stdout.print("Failures (first ones):")
        for email, reason in report.failures:
            cli.stdout.print(f"  {email}: {reason}", highlight=False, markup=False)
    if report.outbox:
        cli.stdout.print(f"Messages written to {report.outbox}", highlight=False, markup=False)


def _exit_for(report: SendReport, edition: str) -> None:
    """Exit 0 only when everyone is settled; the report was printed first (--json too)."""
    if report.paused:
        raise SendPausedError(
            f"the send paused: {report.pause_reason}",
            hint=f"fix the cause, then continue with: varcomms send {edition} --resume",
        )
    if report.status == delivery.SendState.HELD or report.uncertain:
        raise SendNotCleanError(
            f"{report.uncertain} message(s) are uncertain and were held",
            hint=f"`varcomms send status {edition}` lists them; `varcomms send release "
            f"{edition} --resend|--mark-sent --all` decides",
        )
    if report.status == delivery.SendState.INCOMPLETE:
        raise SendNotCleanError(
            f"{report.deferred} message(s) were not accepted yet",
            hint=f"continue with: varcomms send {edition} --resume",
        )
    if report.failed:
        raise SendNotCleanError(
            f"{report.failed} recipient(s) failed",
            hint=f"`varcomms send status {edition}` shows each with the provider's reason",
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
    page: Annotated[
        int, typer.Option(min=1, help=f"Page of uncertain rows ({UNCERTAIN_PAGE} a page).")
    ] = 1,
    as_json: bool = JsonOption,
) -> None:
    """Progress of an edition's send: per state, per variant, failures and every held row."""
    cli = state(ctx)
    status = delivery.send_status(cli.context(), edition)
    if as_json:
        print_json(ctx, status.to_dict())  # complete: every uncertain row
        return
    for row in status.sends:
        kind = "test" if row["test"] else "send"
        cli.stdout.print(
            f"{kind} {row['id']}: {row['status']} via {row['provider']}"
            + (f" ({row['note']})" if row["note"] else ""),
            highlight=False,
            markup=False,
        )
    cli.stdout.print(_status_table(status))
    if status.in_flight:
        cli.stdout.print(f"{status.in_flight} message(s) in flight")
    for failure in status.failures:
        cli.stdout.print(
            f"  failed {failure['email']}: {failure['reason']}", highlight=False, markup=False
        )
    held = status.uncertain
    if held:
        pages = (len(held) + UNCERTAIN_PAGE - 1) // UNCERTAIN_PAGE
        shown = held[(page - 1) * UNCERTAIN_PAGE : page * UNCERTAIN_PAGE]
        cli.stdout.print(f"{len(held)} uncertain (held), page {min(page, pages)} of {pages}:")
        for row in shown:
            cli.stdout.print(
                f"  uncertain {row['email']}: {row['reason']}", highlight=False, markup=False
            )
        if page < pages:
            cli.stdout.print(f"  more: --page {page + 1} (or --json for all)", highlight=False)
        cli.stdout.print(
            f"  decide with: varcomms send release {edition} --resend|--mark-sent "
            "[--all | ADDRESS…]",
            highlight=False,
            markup=False,
        )


@app.command("release")
def release_command(
    ctx: typer.Context,
    edition: Annotated[str, typer.Argument(help="The edition id.")],
    addresses: Annotated[
        list[str] | None, typer.Argument(help="The held addresses to release.")
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send them again (accepts a possible 2nd copy).")
    ] = False,
    mark_sent: Annotated[
        bool,
        typer.Option("--mark-sent", help="Count them as sent (accepts a possible miss)."),
    ] = False,
    release_all: Annotated[bool, typer.Option("--all", help="Every held row.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Decide about held (uncertain) rows: send them again, or count them as sent."""
    cli = state(ctx)
    if resend == mark_sent:
        raise typer.BadParameter("choose one of --resend or --mark-sent")
    if release_all == bool(addresses):
        raise typer.BadParameter("name the addresses, or give --all (not both)")
    context = cli.context()
    plan = delivery.plan_release(context, edition, None if release_all else addresses)
    choice = "send again" if resend else "mark as sent"
    if not as_json:
        cli.stdout.print(
            f"{plan.held} held row(s) in send {plan.send_id}; {plan.selected} selected "
            f"to {choice}.",
            highlight=False,
        )
        for address in plan.not_held:
            cli.stderr.print(f"  not held (ignored): {address}", highlight=False, markup=False)
    if plan.selected and not yes:
        risk = "may get a second copy" if resend else "may never have received it"
        if not typer.confirm(f"{choice.capitalize()} {plan.selected} row(s)? They {risk}."):
            raise VarcommsError("nothing released: not confirmed", hint="--yes skips the question")
    changed = delivery.release_held(context, plan, resend=resend)
    if resend:
        report = delivery.send_edition(context, edition, resume=True)
        if as_json:
            print_json(ctx, {"released": changed, **plan.to_dict(), "send": report.to_dict()})
        else:
            cli.stdout.print(f"released {changed} row(s) to be sent again")
            _print_report(ctx, report, as_json=False)
        _exit_for(report, edition)
        return
    if as_json:
        print_json(ctx, {"released": changed, **plan.to_dict()})
    else:
        cli.stdout.print(f"marked {changed} row(s) as sent")
