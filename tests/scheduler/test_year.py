"""A year of the sample plan on a fake clock: each send once, each reminder once."""

from __future__ import annotations

from collections import Counter

from tests.scheduler.conftest import Project, local
from varcomms.scheduler.jobs import wake_times


def _no_collect(project: Project) -> Project:
    project.plan = project.plan.model_copy(update={"collect": None})
    return project


def simulate(project: Project, end, *, editors=None, core=None) -> list[str]:
    """Step the clock through every job time; the editors act an hour before review."""
    core = core or project.core()
    lines: list[str] = []
    for when in wake_times([project.plan], project.clock.now(), end):
        if editors is not None:
            editors(when)
        project.clock._now = when
        lines += [d.line() for d in core.run_pass("test").decisions]
    return lines


def test_a_year_sends_each_edition_once_and_reminds_once(make_project) -> None:
    project = _no_collect(make_project(local(2022, 1, 1, 0, 0), subscribers=40))
    plan = project.plan
    approved: set[str] = set()

    def editors(when) -> None:
        for e in plan.editions:
            if e.id not in approved and when >= e.review_deadline - __import__("datetime").timedelta(hours=1):
                if (project.ctx.config.newsletters_dir / e.id).is_dir():
                    project.clock._now = e.review_deadline - __import__("datetime").timedelta(hours=1)
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
    subjects = Counter(project.reminders_to())
    assert subjects and max(subjects.values()) == 1
    kinds = Counter(s for _to, s in project.reminders_to())
    for e in plan.editions:
        assert sum(1 for s in kinds if s.startswith(f"Herinnering: RIEC-rubriek voor {e.id} ")) == 1
        assert sum(1 for s in kinds if s.startswith(f"Herinnering: {e.id} moet")) == 1
        assert kinds[f"{e.id} is verstuurd"] == 2  # the VAR and the RIEC editors
    assert not any("niet goedgekeurd" in s or "niet verstuurd" in s for s in kinds)

    # A restart that replays the whole year changes nothing: no mail, no send.
    before = (project.reminders_to(), {e.id: len(project.outbox(e.id)) for e in plan.editions})
    project.clock._now = local(2022, 1, 1, 0, 0)
    again = simulate(project, end, core=project.core(owner="restarted"))
    after = (project.reminders_to(), {e.id: len(project.outbox(e.id)) for e in plan.editions})
    assert after == before
    assert not [line for line in again if line.startswith(("send", "remind", "draft"))]
