"""The one function every stored job points at, and the jobs a plan asks for.

APScheduler pickles a job's callable by reference and its arguments by value, and
deletes a job it cannot restore. So every job names this module's :func:`run_job` and
carries two strings (what woke it, and the edition). The job only wakes the process:
what is due is decided afresh by :class:`~varcomms.scheduler.core.SchedulerCore`, so
a job that fires late, twice, or not at all changes nothing about what is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from varcomms.scheduler.plan import AMSTERDAM, YearPlan

log = logging.getLogger("varcomms.scheduler")
JOB_FUNCTION = "varcomms.scheduler.jobs:run_job"

# The core of this process; set by the runner before the scheduler starts.
_core: Any = None


def install(core: Any) -> None:
    global _core
    _core = core


def run_job(kind: str, edition_id: str = "") -> None:
    """Wake up: run one decision pass. Never raises into APScheduler."""
    core = _core
    if core is None:
        log.error(f"job {kind} {edition_id}: no scheduler core in this process; ignored")
        return
    from varcomms.scheduler.core import StopRequested

    try:
        core.run_pass(f"{kind} {edition_id}".strip())
    except StopRequested:
        pass  # the send recorded its interruption; the process is stopping
    except Exception:  # a bug must not kill the scheduler thread; log it whole
        log.exception(f"pass after job {kind} {edition_id} failed")


@dataclass(frozen=True)
class JobSpec:
    id: str
    kind: str
    edition_id: str
    trigger: str  # "date" | "cron" | "interval"
    when: datetime | None = None  # date jobs
    cron: str | None = None  # "minute hour day month weekday"
    every: timedelta | None = None

    def build_trigger(self, offset: timedelta = timedelta(0)) -> Any:
        """The APScheduler trigger, each with Europe/Amsterdam passed explicitly.

        ``offset`` is the shifted clock's lead over real time (zero in production):
        date jobs fire at real time ``when - offset``.
        """
        if self.trigger == "date":
            from apscheduler.triggers.date import DateTrigger

            assert self.when is not None
            return DateTrigger(
                run_date=(self.when - offset).astimezone(AMSTERDAM), timezone=AMSTERDAM
            )
        if self.trigger == "cron":
            from apscheduler.triggers.cron import CronTrigger

            assert self.cron is not None
            return CronTrigger.from_crontab(self.cron, timezone=AMSTERDAM)
        from apscheduler.triggers.interval import IntervalTrigger

        assert self.every is not None
        return IntervalTrigger(seconds=int(self.every.total_seconds()), timezone=AMSTERDAM)


def planned_jobs(plans: list[YearPlan] | tuple[YearPlan, ...], now: datetime) -> dict[str, JobSpec]:
    """The jobs the plans ask for at ``now``: fixed ones, and every date still ahead."""
    from varcomms.scheduler.decide import active_plan

    specs: list[JobSpec] = []
    current = active_plan(plans, now)
    if current is not None:
        if current.collect:
            specs.append(JobSpec("collect", "collect", "", "cron", cron=current.collect))
        at = current.refresh_at
        specs.append(JobSpec("refresh", "refresh", "", "cron", cron=f"{at.minute} {at.hour} * * *"))
        specs.append(JobSpec("recheck", "recheck", "", "interval", every=current.recheck))
    for plan in plans:
        for e in plan.editions:
            dates = [("draft", e.drafting)]
            if e.riec_deadline is not None:
                dates.append(("remind-riec-copy", e.riec_deadline - plan.remind_before))
            dates.append(("remind-review", e.review_deadline - plan.remind_before))
            dates.append(("remind-not-scheduled", e.send - plan.remind_before))
            dates.append(("send", e.send))
            for kind, when in dates:
                if when > now:
                    specs.append(JobSpec(f"{kind}:{e.id}", kind, e.id, "date", when=when))
    return {spec.id: spec for spec in specs}


def wake_times(
    plans: list[YearPlan] | tuple[YearPlan, ...], start: datetime, end: datetime
) -> list[datetime]:
    """Every moment a job would wake the scheduler between ``start`` and ``end``:
    what tests and the benchmark step a fake clock through."""
    from varcomms.scheduler.decide import fire_times

    times: set[datetime] = set()
    for spec in planned_jobs(plans, start).values():
        if spec.trigger != "interval":
            times.update(fire_times(spec.build_trigger(), start, end))
    # The recheck interval matters only while a send may be held: from it to its grace.
    for plan in plans:
        for edition in plan.editions:
            when = edition.send + plan.recheck
            while when <= edition.send + plan.grace:
                if start < when <= end:
                    times.add(when)
                when += plan.recheck
    return sorted(times)
