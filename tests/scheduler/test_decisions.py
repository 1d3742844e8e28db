"""Holds, grace, release, two schedulers, DST and a stop during a send (fake clock)."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from tests.scheduler.conftest import Project, local
from varcomms import editions
from varcomms.delivery import send_status
from varcomms.errors import StateError
from varcomms.scheduler import records
from varcomms.scheduler.core import StopRequested, release
from varcomms.scheduler.lock import scheduler_lock
from varcomms.store.schema import scheduler_sends

E = "2022-01"


def drafted(project: Project, *, approve: bool = True, schedule: bool = True) -> Project:
    """2022-01 drafted by the scheduler on its drafting day, then (maybe) approved."""
    first = project.plan.edition(E)
    project.clock.set(first.drafting)
    project.core().run_pass()
    assert project.status(E) == "draft"
    if approve:
        project.clock.set(first.review_deadline - timedelta(hours=2))
        project.approve(E, schedule=schedule)
    return project


def passes(project: Project, until, *, step=timedelta(minutes=30), core=None) -> list[str]:
    core = core or project.core()
    lines = []
    while project.clock.now() <= until:
        lines += [d.line() for d in core.run_pass().decisions]
        project.clock.advance(seconds=step.total_seconds())
    return lines


def test_an_unapproved_edition_is_held_and_the_editors_are_told_once(project) -> None:
    drafted(project, approve=False)
    send = project.plan.edition(E).send
    project.clock.set(send - timedelta(hours=1))
    lines = passes(project, send + timedelta(hours=8))
    assert project.outbox(E) == []
    assert project.status(E) == "draft"
    holds = [line for line in lines if line.startswith("hold 2022-01")]
    # Checked again every 30 minutes from the send time, then past the grace period.
    assert len(holds) >= 8 * 2
    assert "not approved and scheduled" in holds[0] and "checked again until" in holds[0]
    assert "scheduler release 2022-01" in holds[-1]
    subjects = [s for _to, s in project.reminders_to()]
    assert subjects.count("2022-01 staat gepland maar is nog niet goedgekeurd") == 2
    held = [s for s in subjects if s.startswith("2022-01 is niet verstuurd")]
    late = [s for s in subjects if s.startswith("2022-01 wordt vastgehouden")]
    assert len(held) == 2 and len(late) == 2  # once each, to the VAR and the RIEC editors


def test_approved_but_not_scheduled_is_held_with_that_reason(project) -> None:
    drafted(project, schedule=False)
    send = project.plan.edition(E).send
    project.clock.set(send)
    lines = passes(project, send)
    assert project.outbox(E) == []
    assert any("approved but not scheduled" in line for line in lines)


def test_a_voided_sign_off_holds_a_scheduled_edition(project) -> None:
    drafted(project)
    intro = project.ctx.config.newsletters_dir / E / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "Een late wijziging.\n", "utf-8")
    send = project.plan.edition(E).send
    project.clock.set(send)
    lines = passes(project, send)
    assert project.outbox(E) == []
    assert any("sign-off was voided" in line for line in lines)


def test_a_send_missed_inside_the_grace_goes_out_on_restart(project) -> None:
    drafted(project)
    send = project.plan.edition(E).send
    project.clock.set(send - timedelta(minutes=5))
    assert not [d for d in project.core().run_pass().decisions if d.action == "send"]
    project.clock.set(send + timedelta(hours=3, minutes=59))  # the scheduler was down
    decisions = project.core(owner="restarted").run_pass().decisions
    assert [d.action for d in decisions if d.edition_id == E][:1] == ["send"]
    assert "late, within grace" in decisions[0].reason
    assert len(project.outbox(E)) == 6
    assert project.status(E) == "sent"


def test_a_send_missed_past_the_grace_is_held_until_released(project) -> None:
    drafted(project)
    send = project.plan.edition(E).send
    project.clock.set(send + timedelta(hours=4, minutes=1))
    lines = passes(project, send + timedelta(hours=6))
    assert project.outbox(E) == []
    assert project.status(E) == "scheduled"
    holds = [line for line in lines if line.startswith("hold 2022-01")]
    assert holds and all("past the 4 h grace" in line for line in holds)
    late = [s for _to, s in project.reminders_to() if "vastgehouden" in s]
    assert len(late) == 2
    report = release(project.ctx, [project.plan], E, by="hoofdredacteur")
    assert report.sent == {E: 6}
    assert project.status(E) == "sent"
    assert not [ln for ln in passes(project, send + timedelta(hours=8)) if ln.startswith("send")]
    assert len(project.outbox(E)) == 6
    with pytest.raises(StateError, match="already sent"):
        release(project.ctx, [project.plan], E, by="hoofdredacteur")


def test_release_refuses_an_unapproved_edition(project) -> None:
    drafted(project, approve=False)
    project.clock.set(project.plan.edition(E).send + timedelta(days=1))
    with pytest.raises(StateError, match="only an approved edition"):
        release(project.ctx, [project.plan], E, by="iemand")


def test_the_send_claim_is_taken_once_however_many_race(any_db_project) -> None:
    store, now = any_db_project.ctx.store, any_db_project.clock.now()
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def claim(owner: str) -> None:
        barrier.wait()
        results.append(records.claim_send(store, E, owner=owner, now=now))

    threads = [threading.Thread(target=claim, args=(f"s{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    # An interrupted claim can be taken again, by one.
    records.finish_send(store, E, state="interrupted", now=now)
    assert records.claim_send(store, E, owner="next", now=now)
    assert not records.claim_send(store, E, owner="other", now=now)


def test_two_schedulers_firing_at_once_send_once(any_db_project) -> None:
    project = drafted(any_db_project)
    project.clock.set(project.plan.edition(E).send)
    first, second = project.core(owner="one"), project.core(owner="two")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def fire(core) -> None:
        barrier.wait()
        try:
            core.run_pass("send")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=fire, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    sent_to = [entry["to"] for entry in project.outbox(E)]
    assert len(sent_to) == 6 == len(set(sent_to))
    assert project.status(E) == "sent"


def test_a_second_scheduler_does_not_start(any_db_project) -> None:
    store = any_db_project.ctx.store
    with (
        scheduler_lock(store),
        pytest.raises(StateError, match="another scheduler is running"),
        scheduler_lock(store),
    ):
        pass
    with scheduler_lock(store):  # released with the first
        pass


def test_a_stop_during_a_send_leaves_no_recipient_in_doubt(make_project, monkeypatch) -> None:
    from dataclasses import replace

    from varcomms.delivery.providers.outbox import OutboxProvider

    # Batches of five, so the stop falls between batches of one send.
    monkeypatch.setattr(
        OutboxProvider, "capabilities", replace(OutboxProvider.capabilities, max_batch=5)
    )
    project = drafted(make_project(local(2022, 1, 10, 8, 0), subscribers=40))
    send = project.plan.edition(E).send
    project.clock.set(send)
    core = project.core(owner="first")
    calls = []

    def stop_after_first_batch() -> None:
        calls.append(1)
        if len(calls) == 2:  # the first batch was settled: SIGTERM arrives now
            core.stop.set()

    core.on_batch = stop_after_first_batch
    with pytest.raises(StopRequested):
        core.run_pass()
    status = send_status(project.ctx, E)
    assert status.in_flight == 0 and status.uncertain == []
    assert set(status.states) <= {"sent", "pending"}
    sent_first = len(project.outbox(E))
    assert 0 < sent_first < 40
    with project.ctx.store.connect() as db:
        claim = db.execute(select(scheduler_sends.c.state)).scalar()
    assert claim == "interrupted"
    assert project.status(E) == "sending"

    # The next start resumes: everyone has exactly one copy.
    project.clock.advance(minutes=10)
    project.core(owner="second").run_pass()
    sent_to = [entry["to"] for entry in project.outbox(E)]
    assert len(sent_to) == 40 == len(set(sent_to))
    assert project.status(E) == "sent"


def test_dst_weekends_send_at_local_time(make_project) -> None:
    """2022-03 goes out on the first Tuesday of summer time, 2022-09 of winter time."""
    project = make_project(local(2022, 3, 1, 8, 0))
    for edition_id, utc_hour in (("2022-03", 7), ("2022-09", 8)):
        planned = project.plan.edition(edition_id)
        project.clock.set(planned.drafting)
        project.core().run_pass()
        project.clock.set(planned.review_deadline - timedelta(hours=1))
        project.approve(edition_id)
        # Step through the DST weekend in 15-minute steps up to the send.
        project.clock.set(planned.send - timedelta(days=4))
        sends = []
        while project.clock.now() <= planned.send + timedelta(hours=1):
            for d in project.core().run_pass().decisions:
                if d.action == "send":
                    sends.append(project.clock.now())
            project.clock.advance(minutes=15)
        assert [s.astimezone(UTC).hour for s in sends] == [utc_hour], edition_id
        assert len(project.outbox(edition_id)) == 6


@pytest.mark.parametrize(
    ("start", "days"),
    [(local(2022, 3, 25, 12, 0), 4), (local(2022, 10, 28, 12, 0), 4)],
    ids=["march", "october"],
)
def test_a_collect_at_0230_runs_once_a_day_over_dst(make_project, start, days) -> None:
    project = make_project(start)
    project.plan = project.plan.model_copy(update={"collect": "30 2 * * *"})
    core = project.core()
    collected = []
    while project.clock.now() < start + timedelta(days=days):
        for d in core.run_pass().decisions:
            if d.action == "collect":
                collected.append(d.key)
        project.clock.advance(minutes=10)
    # The first pass catches up the run of that morning (missed runs coalesce into one),
    # then one run a day, also on the day 02:30 does not exist or happens twice.
    assert len(collected) == days + 1 == len(set(collected))
    days_seen = [key.split(":", 1)[1][:10] for key in collected]
    assert len(set(days_seen)) == days + 1


def test_reminder_lost_to_a_refusing_provider_is_retried(project, monkeypatch) -> None:
    from varcomms.errors import ProviderError
    from varcomms.scheduler import core as core_module

    drafted(project, approve=False)
    riec = project.plan.edition(E).riec_deadline
    project.clock.set(riec - timedelta(days=1))
    real = core_module.SchedulerCore._mail
    failing = {"on": True}

    def refuse(self, decision):
        if failing["on"]:
            raise ProviderError("relay down", provider="outbox")
        return real(self, decision)

    monkeypatch.setattr(core_module.SchedulerCore, "_mail", refuse)
    report = project.core().run_pass()
    assert any("relay down" in e for e in report.errors)
    failing["on"] = False
    project.core().run_pass()
    project.core().run_pass()
    riec_mails = [s for _t, s in project.reminders_to() if "RIEC-rubriek" in s]
    assert len(riec_mails) == 1


def test_schedule_refuses_past_and_unschedule_returns_to_approved(project) -> None:
    drafted(project, schedule=False)
    editions.schedule(project.ctx, E)
    assert project.status(E) == "scheduled"
    editions.unschedule(project.ctx, E)
    assert project.status(E) == "approved"
    with pytest.raises(StateError, match="not scheduled"):
        editions.unschedule(project.ctx, E)
    project.clock.set(project.plan.edition(E).send + timedelta(minutes=1))
    with pytest.raises(StateError, match="has passed"):
        editions.schedule(project.ctx, E)


def test_a_send_failing_at_every_pass_stops_at_the_end_of_the_grace(project, monkeypatch) -> None:
    from varcomms.errors import ProviderError
    from varcomms.scheduler import core as core_module

    drafted(project)
    send = project.plan.edition(E).send
    project.clock.set(send)

    def refuse(*_args, **_kwargs):
        raise ProviderError("relay refuses", provider="outbox")

    monkeypatch.setattr("varcomms.delivery.send_edition", refuse)
    assert core_module  # the core imports send_edition at call time, so the patch applies
    lines = passes(project, send + timedelta(hours=6))
    tries = [line for line in lines if line.startswith("send 2022-01")]
    assert 8 <= len(tries) <= 9  # every 30 minutes within the 4 h grace, then no more
    assert lines[-1].startswith("hold 2022-01") and "scheduler release" in lines[-1]


def test_reminders_are_dutch_mails_with_the_day(project) -> None:
    import email
    import email.policy

    drafted(project, approve=False)
    project.clock.set(project.plan.edition(E).send - timedelta(hours=1))
    project.core().run_pass()
    bodies = {}
    for path in (project.folder / "outbox" / "herinnering").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        bodies[(message["To"], message["Subject"])] = text
        assert message["Auto-Submitted"] == "auto-generated"
    riec = bodies[("redactie@riec-rotterdam.nl", next(s for t, s in bodies if "RIEC-rubriek" in s))]
    # The scheduler first ran after the deadline: the reminder says it was due.
    assert "De RIEC-rubriek voor 2022-01 had woensdag 26 januari 12:00 klaar moeten zijn" in riec
    unapproved = bodies[
        ("redactie@veiligheidsalliantie.nl", "2022-01 staat gepland maar is nog niet goedgekeurd")
    ]
    assert "2022-01 staat gepland voor dinsdag 09:00 maar is nog niet goedgekeurd" in unapproved
