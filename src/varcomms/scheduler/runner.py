"""``scheduler run``, ``sync`` and ``list``: APScheduler 3 on the project's database.

APScheduler is only the alarm clock here. Its jobs live in the ``scheduler_jobs``
table (SQLAlchemyJobStore on the project's engine); each one runs a decision pass of
:class:`~varcomms.scheduler.core.SchedulerCore`. What we keep out of its hands, and
why (measured on 3.11):

- no grace limit (``misfire_grace_time=None``): a send job missed while down is run
  late, and our own code decides whether it is still in grace;
- one process at a time (:mod:`varcomms.scheduler.lock`): two schedulers on one store
  would both run each job;
- Europe/Amsterdam passed to every trigger, not left to the scheduler's default;
- jobs are added only when missing or changed (never ``replace_existing`` at start:
  it would recompute next run times from now and lose missed runs);
- the stop is ours: SIGTERM/SIGINT set an event, a send finishes its batch and records
  the interruption, the scheduler is paused (no job can fall due during shutdown) and
  then shut down waiting for the running pass.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from varcomms.context import Context
from varcomms.scheduler import jobs, records
from varcomms.scheduler.core import SchedulerCore
from varcomms.scheduler.jobs import planned_jobs
from varcomms.scheduler.lock import scheduler_lock
from varcomms.scheduler.plan import AMSTERDAM, YearPlan

log = logging.getLogger("varcomms.scheduler")
JOB_TABLE = "scheduler_jobs"
# A documented shifted clock for demos and the subprocess test: the scheduler's "now"
# starts here and runs at real speed (ISO time, e.g. 2022-02-01T08:59:55+01:00).
NOW_ENV = "VARCOMMS_SCHEDULER_NOW"


def clock_offset(ctx: Context) -> timedelta:
    """How far the context's clock runs ahead of real time (zero unless shifted)."""
    from datetime import UTC

    offset = ctx.clock.now() - datetime.now(UTC)
    return timedelta(0) if abs(offset) < timedelta(seconds=2) else offset


def make_scheduler(ctx: Context, *, background: bool = True) -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=ctx.store.engine, tablename=JOB_TABLE)},
        # One worker: passes run one after another, never two sends at once.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=AMSTERDAM,
    )


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    changed: list[str]
    removed: list[str]
    kept: list[str]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "kept": self.kept,
        }


def sync_jobs(
    scheduler: Any, plans: Sequence[YearPlan], now: datetime, offset: timedelta
) -> SyncReport:
    """Bring the stored jobs in line with the plans; a second run changes nothing."""
    wanted = planned_jobs(tuple(plans), now)
    existing = {job.id: job for job in scheduler.get_jobs()}
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    kept: list[str] = []
    for job_id in existing:
        if job_id not in wanted:
            scheduler.remove_job(job_id)
            removed.append(job_id)
    for job_id, spec in wanted.items():
        trigger = spec.build_trigger(offset)
        args = (spec.kind, spec.edition_id)
        job = existing.get(job_id)
        if job is None:
            scheduler.add_job(
                jobs.JOB_FUNCTION,
                trigger=trigger,
                args=args,
                id=job_id,
                name=job_id,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )
            added.append(job_id)
        elif (
            str(job.trigger) != str(trigger)
            or tuple(job.args) != args
            or job.func_ref != jobs.JOB_FUNCTION
        ):
            job.modify(func=jobs.JOB_FUNCTION, args=args)
            job.reschedule(trigger=trigger)
            changed.append(job_id)
        else:
            kept.append(job_id)
    return SyncReport(added, changed, removed, kept)


def sync(ctx: Context, plans: Sequence[YearPlan]) -> SyncReport:
    """``scheduler sync``: store the plan's jobs without running any."""
    scheduler = make_scheduler(ctx)
    scheduler.start(paused=True)
    try:
        return sync_jobs(scheduler, plans, ctx.clock.now(), clock_offset(ctx))
    finally:
        scheduler.shutdown(wait=False)


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    edition_id: str
    next_run: datetime | None
    status: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "edition": self.edition_id or None,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "edition_status": self.status,
        }


def list_jobs(ctx: Context) -> list[JobRow]:
    """``scheduler list``: the stored jobs by next run, with each edition's status."""
    from varcomms.scheduler.state import read_states

    states = read_states(ctx.config)
    scheduler = make_scheduler(ctx)
    scheduler.start(paused=True)
    try:
        stored = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    offset = clock_offset(ctx)
    rows = []
    for job in stored:
        kind, edition_id = ([*list(job.args), "", ""])[:2]
        state = states.get(edition_id)
        next_run = job.next_run_time + offset if job.next_run_time else None
        rows.append(
            JobRow(
                job.id,
                kind,
                edition_id,
                next_run,
                state.status.value if state and state.status else None,
            )
        )
    far = datetime.max.replace(tzinfo=AMSTERDAM)
    return sorted(rows, key=lambda r: (r.next_run or far, r.id))


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run(
    ctx: Context,
    plans: Sequence[YearPlan],
    *,
    stop: threading.Event,
    standby: bool = False,
    collect: bool = True,
) -> None:
    """``scheduler run``: hold the lock, sync, catch up, then wake on jobs until ``stop``."""
    from varcomms.scheduler.lock import StopWaiting

    try:
        with scheduler_lock(ctx.store, wait=standby, stop=stop):
            _run_locked(ctx, plans, stop=stop, collect=collect)
    except StopWaiting:
        log.info("stopped while waiting as a standby")


def _run_locked(
    ctx: Context, plans: Sequence[YearPlan], *, stop: threading.Event, collect: bool
) -> None:
    owner = owner_name()
    now = ctx.clock.now()
    stale = records.adopt_stale(ctx.store, owner=owner, now=now)
    for edition_id in stale:
        log.warning(
            f"send {edition_id}: left sending by a scheduler that stopped; resumes if in grace"
        )
    core = SchedulerCore(ctx, plans, owner=owner, stop=stop, collect=collect)
    jobs.install(core)
    scheduler = make_scheduler(ctx)
    scheduler.start(paused=True)
    try:
        report = sync_jobs(scheduler, plans, now, clock_offset(ctx))
        log.info(
            f"started as {owner} at {now.astimezone(AMSTERDAM):%Y-%m-%d %H:%M:%S %Z}: "
            f"{len(report.added) + len(report.changed) + len(report.kept)} job(s) "
            f"({len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed)"
        )
        # The catch-up pass: whatever fell due while no scheduler ran.
        scheduler.add_job(
            jobs.JOB_FUNCTION,
            args=("start", ""),
            id="start",
            replace_existing=True,
            misfire_grace_time=None,
        )
        scheduler.resume()
        while not stop.wait(0.5):
            pass
        log.info("stopping: waiting for the running pass to finish its batch")
        scheduler.pause()  # nothing new falls due during shutdown
    finally:
        scheduler.shutdown(wait=True)
        jobs.install(None)
    log.info("stopped cleanly")
