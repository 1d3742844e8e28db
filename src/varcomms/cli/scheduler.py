"""`varcomms scheduler …`: the year plan, the jobs, and the long-running scheduler."""

from __future__ import annotations

import getpass
import logging
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from varcomms.cli.state import JsonOption, print_json, state
from varcomms.errors import InputError, VarcommsError

app = typer.Typer(
    help="Plan the year's editions and send them on their dates.", no_args_is_help=True
)
IdArgument = typer.Argument(metavar="ID", help="Edition id, e.g. 2022-03.")


def _context(ctx: typer.Context):
    """The CLI's context, on the scheduler's shifted clock when VARCOMMS_SCHEDULER_NOW is set."""
    from varcomms.scheduler.runner import NOW_ENV

    context = state(ctx).context()
    shifted = os.environ.get(NOW_ENV)
    if shifted:
        from varcomms.clock import ShiftedClock

        try:
            start = datetime.fromisoformat(shifted)
        except ValueError as err:
            raise InputError(f"{NOW_ENV}={shifted!r} is not an ISO time", field=NOW_ENV) from err
        if start.tzinfo is None:
            from varcomms.scheduler.plan import AMSTERDAM

            start = start.replace(tzinfo=AMSTERDAM)
        context.clock = ShiftedClock(start)
    return context


def _fmt(when: datetime | None, *, short: bool = False) -> str:
    from varcomms.scheduler.plan import AMSTERDAM

    if when is None:
        return "-"
    return f"{when.astimezone(AMSTERDAM):{'%m-%d %H:%M' if short else '%Y-%m-%d %H:%M'}}"


@app.command("plan")
def plan_cmd(
    ctx: typer.Context,
    year: Annotated[
        int | None, typer.Argument(help="The year (default: this year's plan).")
    ] = None,
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Also write the dates as an iCalendar file.")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """The year plan: every edition with its status, dates and what is late."""
    from rich.table import Table

    from varcomms.scheduler import load_plans, read_states
    from varcomms.scheduler.decide import active_plan
    from varcomms.scheduler.ics import write_calendar
    from varcomms.scheduler.overview import overview
    from varcomms.scheduler.plan import format_duration

    context = _context(ctx)
    plans = load_plans(context.config)
    now = context.clock.now()
    if year is None:
        current = active_plan(plans.years, now)
        if current is None:
            raise VarcommsError(
                f"no plan files in {plans.folder}", hint="create scheduler/plan-YYYY.yaml"
            )
        year = current.year
    view = overview(plans, year, read_states(context.config), now)
    if ics is not None:
        count = write_calendar(view.plan, ics, stamp=now)
        state(ctx).stderr.print(f"Wrote {count} date(s) to {ics}.")
    if as_json:
        print_json(ctx, view.to_dict())
        return
    table = Table("edition", "kind", "status", "drafting", "RIEC copy", "review", "send", "notes")
    table.title = "times are month-day hour:minute"
    for row in view.rows:
        e = row.edition
        notes = "; ".join(
            f"[{'red' if f.level == 'error' else 'yellow'}]{f.short or f.message}[/]"
            for f in row.findings
        )
        kind = e.kind + ("" if e.joint else ", VAR only")
        if e.segment:
            kind += f" → {e.segment}"
        table.add_row(
            e.id,
            kind,
            row.status or "[dim]not drafted[/dim]",
            _fmt(e.drafting, short=True),
            _fmt(e.riec_deadline, short=True),
            _fmt(e.review_deadline, short=True),
            _fmt(e.send, short=True),
            notes,
        )
    out = state(ctx).stdout
    out.print(table)
    p = view.plan
    out.print(
        f"{p.path.name} ({p.year}, Europe/Amsterdam): collect '{p.collect or 'off'}', "
        f"grace {format_duration(p.grace)}, recheck {format_duration(p.recheck)}, "
        f"reminders {format_duration(p.remind_before)} ahead; {len(view.errors)} error(s)"
    )


@app.command("check")
def check_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Lint every plan against the editions; exits 1 when there are errors."""
    from varcomms.scheduler import check_plans, load_plans, read_states

    context = _context(ctx)
    plans = load_plans(context.config)
    findings = check_plans(plans, read_states(context.config), context.clock.now())
    if as_json:
        print_json(ctx, [f.to_dict() for f in findings])
    else:
        for f in findings:
            colour = "red" if f.level == "error" else "yellow"
            state(ctx).stdout.print(f"[{colour}]{f.level}[/]: {f.line()}", highlight=False)
        years = ", ".join(str(p.year) for p in plans.years) or "none"
        state(ctx).stdout.print(f"plans: {years}; {len(findings)} finding(s)")
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise VarcommsError(f"{len(errors)} plan error(s); first: {errors[0].line()}")


@app.command("sync")
def sync_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Bring the stored jobs in line with the plan files (running it twice changes nothing)."""
    from varcomms.scheduler import load_plans
    from varcomms.scheduler.runner import sync

    context = _context(ctx)
    report = sync(context, load_plans(context.config).years)
    if as_json:
        print_json(ctx, report.to_dict())
        return
    state(ctx).stdout.print(
        f"{len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.kept)} unchanged."
    )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """The stored jobs with their next run and each edition's status."""
    from rich.table import Table

    from varcomms.scheduler.runner import list_jobs

    rows = list_jobs(_context(ctx))
    if as_json:
        print_json(ctx, [row.to_dict() for row in rows])
        return
    if not rows:
        state(ctx).stdout.print("No jobs stored; run `varcomms scheduler sync`.")
        return
    table = Table("next run", "job", "edition", "status")
    for row in rows:
        table.add_row(_fmt(row.next_run), row.kind, row.edition_id or "-", row.status or "-")
    state(ctx).stdout.print(table)


@app.command("release")
def release_cmd(
    ctx: typer.Context,
    edition_id: str = IdArgument,
    by: Annotated[
        str | None, typer.Option("--by", help="Who releases (default: your user name).")
    ] = None,
) -> None:
    """Send a held or late edition now (it must be approved; its sign-offs valid)."""
    from varcomms.scheduler import load_plans
    from varcomms.scheduler.core import release

    context = _context(ctx)
    report = release(
        context, load_plans(context.config).years, edition_id, by=by or getpass.getuser()
    )
    sent = report.sent.get(edition_id)
    if sent is None:
        state(ctx).stdout.print(f"{edition_id}: not sent (another process is sending it).")
    else:
        state(ctx).stdout.print(f"{edition_id}: released and sent to {sent} recipient(s).")


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    standby: Annotated[
        bool,
        typer.Option("--standby", help="Wait for a running scheduler to stop, then take over."),
    ] = False,
    no_collect: Annotated[
        bool, typer.Option("--no-collect", help="Skip the collect runs.")
    ] = False,
) -> None:
    """Run until SIGTERM/SIGINT: collect, draft, remind and send on the plan's dates."""
    from varcomms.scheduler import load_plans
    from varcomms.scheduler.runner import run

    _log_lines()
    context = _context(ctx)
    plans = load_plans(context.config)
    if not plans.years:
        raise VarcommsError(
            f"no plan files in {plans.folder}", hint="create scheduler/plan-YYYY.yaml"
        )
    stop = threading.Event()

    def on_signal(number: int, _frame: object) -> None:
        logging.getLogger("varcomms.scheduler").info(
            f"received {signal.Signals(number).name}; stopping"
        )
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run(context, plans.years, stop=stop, standby=standby, collect=not no_collect)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _log_lines() -> None:
    """One plain line per decision on stderr (journald adds its own timestamps)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("varcomms.scheduler")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
