"""``scheduler plan``: the year as rows, with each edition's status and what is late."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from varcomms.scheduler.checks import PlanFinding, check_plans
from varcomms.scheduler.plan import AMSTERDAM, PlannedEdition, Plans, YearPlan
from varcomms.scheduler.state import EditionState


@dataclass(frozen=True)
class PlanRow:
    edition: PlannedEdition
    status: str | None
    findings: list[PlanFinding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        e = self.edition
        return {
            "id": e.id,
            "kind": e.kind,
            "brands": list(e.brands),
            "audience": e.audience,
            "status": self.status,
            **{name: when.astimezone(AMSTERDAM).isoformat() for name, when in e.dates()},
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class PlanOverview:
    plan: YearPlan
    rows: list[PlanRow]

    @property
    def errors(self) -> list[PlanFinding]:
        return [f for row in self.rows for f in row.findings if f.level == "error"]

    def to_dict(self) -> dict[str, Any]:
        p = self.plan
        return {
            "year": p.year,
            "file": str(p.path),
            "collect": p.collect,
            "grace": p.grace.total_seconds(),
            "recheck": p.recheck.total_seconds(),
            "editions": [row.to_dict() for row in self.rows],
        }


def overview(
    plans: Plans, year: int, states: dict[str, EditionState], now: datetime
) -> PlanOverview:
    plan = plans.year(year)
    findings = check_plans(Plans(plans.folder, (plan,)), states, now)
    rows = []
    for edition in plan.editions:
        state = states.get(edition.id)
        status = state.status.value if state and state.status else None
        rows.append(PlanRow(edition, status, [f for f in findings if f.edition_id == edition.id]))
    return PlanOverview(plan, rows)
