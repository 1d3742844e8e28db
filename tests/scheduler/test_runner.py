"""APScheduler's traps, checked on the stored jobs: restorable, no grace limit, local time,
fixed jobs never recomputed, and the standby that takes over the lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from tests.scheduler.conftest import PLAN, local
from varcomms.scheduler.jobs import JOB_FUNCTION, planned_jobs
from varcomms.scheduler.lock import scheduler_lock
from varcomms.scheduler.plan import read_plan
from varcomms.scheduler.runner import make_scheduler, sync_jobs

FUTURE = PLAN.replace("2022", "2027").replace("collect: null", 'collect: "0 6 * * *"')


def _plan(tmp_path):
    path = tmp_path / "plan-2027.yaml"
    path.write_text(FUTURE, encoding="utf-8")
    return read_plan(path)


def _stored(project):
    scheduler = make_scheduler(project.ctx)
    scheduler.start(paused=True)
    return scheduler


def test_stored_jobs_are_restorable_local_and_without_a_grace_limit(project, tmp_path) -> None:
    plan = _plan(tmp_path)
    scheduler = _stored(project)
    try:
        sync_jobs(scheduler, [plan], datetime.now(UTC), timedelta(0))
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == set(planned_jobs([plan], datetime.now(UTC)))
    for job in jobs.values():
        assert job.func_ref == JOB_FUNCTION  # one stable module function
        assert all(isinstance(arg, str) for arg in job.args)  # only simple values
        assert job.misfire_grace_time is None  # APScheduler never drops a late job
        assert job.coalesce is True
        zone = getattr(job.trigger, "timezone", None) or job.trigger.run_date.tzinfo
        assert str(zone) == "Europe/Amsterdam"
    send = jobs["send:2027-01"]
    assert send.next_run_time == local(2027, 2, 1, 9, 0)
    assert send.args == ("send", "2027-01")


def test_sync_keeps_a_missed_run_instead_of_recomputing_it(project, tmp_path) -> None:
    """`replace_existing=True` at start-up would move a missed run to the future: lost."""
    plan = _plan(tmp_path)
    scheduler = _stored(project)
    try:
        sync_jobs(scheduler, [plan], datetime.now(UTC), timedelta(0))
        missed = datetime.now(UTC) - timedelta(hours=3)
        scheduler.get_job("collect").modify(next_run_time=missed)
        report = sync_jobs(scheduler, [plan], datetime.now(UTC), timedelta(0))
        kept = scheduler.get_job("collect").next_run_time
    finally:
        scheduler.shutdown(wait=False)
    assert report.unchanged and "collect" in report.kept
    assert kept == missed  # still due: the scheduler runs it (once) when it starts


def test_a_standby_takes_over_when_the_first_stops(project) -> None:
    store = project.ctx.store
    first_has_it = threading.Event()
    release_first = threading.Event()
    standby_has_it = threading.Event()

    def first() -> None:
        with scheduler_lock(store):
            first_has_it.set()
            release_first.wait(30)

    def standby() -> None:
        with scheduler_lock(store, wait=True, poll_seconds=0.05):
            standby_has_it.set()

    one = threading.Thread(target=first)
    one.start()
    assert first_has_it.wait(30)
    two = threading.Thread(target=standby)
    two.start()
    assert not standby_has_it.wait(0.3)  # waiting, not acting
    release_first.set()
    assert standby_has_it.wait(30)
    one.join()
    two.join()
