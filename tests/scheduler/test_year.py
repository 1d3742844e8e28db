"""A year of the sample plan on a fake clock: each send once, each reminder once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from tests.scheduler.conftest import Project, local
from varcomms.scheduler.core import SchedulerCore
from varcomms.scheduler.jobs import wake_times


def without_collect(project: Project) -> Project:
    project.plan = project.plan.model_copy(update={"collect": None})
    return project


def simulate(
    project: Project,
    end: datetime,
    *,
    editors: Callable[[datetime], None] | None = None,
    core: SchedulerCore | None = None,
) -> list[str]:
    """Step the clock through every time a job would wake the scheduler."""
    core = core or project.core()
    lines: list[str] = []
    for when in wake_times([project.plan], project.clock.now(), end):
        if editors is not None:
            editors(when)
        project.clock.set(when)
        lines += [d.line() for d in core.run_pass("test").decisions]
    return lines


def test_a_year_sends_each_edition_once_and_reminds_once(make_project) -> None:
    project = without_collect(make_project(local(2022, 1, 1, 0, 0), subscribers=40))
    plan = project.plan
    approved: set[str] = set()

    def editors(when: datetime) -> None:
        """They approve and schedule each edition an hour before its review deadline."""
        for e in plan.editions:
            ready_at = e.review_deadline - timedelta(hours=1)
            drafted = (project.ctx.config.newsletters_dir / e.id).is_dir()
            if e.id not in approved and when >= ready_at and drafted:
                project.clock.set(ready_at)
                project.approve(e.id)
                approved.add(e.id)

    end = local(2022, 12, 31, 23, 0)
    simulate(project, end, editors=editors)

    assert approved == {e.id for e in plan.editions}
    for e in plan.editions:
        assert project.status(e.id) == "sent", e.id
        sent_to = [entry["to"] for entry in project.outbox(e.id)]
        assert len(sent_to) == len(set(sent_to)), f"{e.id}: someone got two copies"
    assert len(project.outbox("2022-01")) == 40  # everyone subscribed
    # Each reminder once per editor address; the approved editions needed no others.
    mails = Counter(project.reminders_to())
    assert mails and max(mails.values()) == 1
    subjects = Counter(subject for _to, subject in mails)
    for e in plan.editions:
        riec = [s for s in subjects if s.startswith(f"Herinnering: RIEC-rubriek voor {e.id} ")]
        review = [s for s in subjects if s.startswith(f"Herinnering: {e.id} moet")]
        assert len(riec) == 1 and subjects[riec[0]] == 1, e.id  # the RIEC editors only
        assert len(review) == 1 and subjects[review[0]] == 2, e.id  # VAR and RIEC editors
        assert subjects[f"{e.id} is verstuurd"] == 2
    assert not any("niet goedgekeurd" in s or "niet verstuurd" in s for s in subjects)

    # A restart that replays the whole year changes nothing: no mail, no send, no draft.
    before = (project.reminders_to(), {e.id: len(project.outbox(e.id)) for e in plan.editions})
    project.clock.set(local(2022, 1, 1, 0, 0))
    again = simulate(project, end, core=project.core(owner="restarted"))
    after = (project.reminders_to(), {e.id: len(project.outbox(e.id)) for e in plan.editions})
    assert after == before
    assert not [line for line in again if line.startswith(("send", "remind", "draft"))]
