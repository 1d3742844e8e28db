"""The scheduler: the year plan, and drafting, reminding and sending on its dates.

Sits above review and delivery (cli → demo → scheduler → review → delivery → …) and
calls the same library functions as the CLI. The plan is in :mod:`.plan`, the
decisions in :mod:`.decide` (a plain function of plan, editions, memory and now), the
acts in :mod:`.core`, and the long-running APScheduler process in :mod:`.runner`.
"""

from __future__ import annotations

from varcomms.context import Context
from varcomms.editions import Transition, unschedule
from varcomms.editions import schedule as _schedule
from varcomms.errors import StateError
from varcomms.scheduler.checks import PlanFinding, check_plans
from varcomms.scheduler.plan import PlannedEdition, Plans, YearPlan, load_plans, read_plan
from varcomms.scheduler.state import EditionState, read_states


def schedule_edition(ctx: Context, edition_id: str, plans: Plans | None = None) -> Transition:
    """``edition schedule``: approved → scheduled, when the plan (if it has the edition)
    and the edition's ``planned`` agree and that time lies ahead."""
    plans = plans if plans is not None else load_plans(ctx.config)
    found = plans.find(edition_id)
    if found is not None:
        _plan, planned = found
        state = read_states(ctx.config).get(edition_id)
        if state is not None and state.planned is not None and state.planned != planned.send:
            raise StateError(
                f"edition {edition_id} is planned for {state.planned:%Y-%m-%d %H:%M} in its "
                f"edition.yaml but for {planned.send:%Y-%m-%d %H:%M} in "
                f"{planned_file(plans, edition_id)}",
                hint="make them agree (the edition's signed time decides), then schedule again",
            )
    return _schedule(ctx, edition_id)


def planned_file(plans: Plans, edition_id: str) -> str:
    found = plans.find(edition_id)
    return found[0].path.name if found else "the plan"


__all__ = [
    "EditionState",
    "PlanFinding",
    "PlannedEdition",
    "Plans",
    "YearPlan",
    "check_plans",
    "load_plans",
    "read_plan",
    "read_states",
    "schedule_edition",
    "unschedule",
]
