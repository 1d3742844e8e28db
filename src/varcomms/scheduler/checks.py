"""Lint of the plan against the edition folders and the clock: what is late or wrong.

The loader refuses a plan that is wrong in itself. These findings depend on the day
and on the editions, so they are reported (``scheduler plan``, ``scheduler check``)
rather than refused: a scheduler keeps running the other editions while one is late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from varcomms.models import EditionStatus
from varcomms.scheduler.plan import AMSTERDAM, Plans
from varcomms.scheduler.state import EditionState

S = EditionStatus


@dataclass(frozen=True)
class PlanFinding:
    level: Literal["error", "warning"]
    edition_id: str
    where: str  # "plan-2022.yaml:31: editions[3].send"
    message: str
    short: str = ""  # a few words for the plan table

    def line(self) -> str:
        return f"{self.where}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {
            "level": self.level,
            "edition": self.edition_id,
            "where": self.where,
            "message": self.message,
        }


def check_plans(plans: Plans, states: dict[str, EditionState], now: datetime) -> list[PlanFinding]:
    found: list[PlanFinding] = []
    for plan in plans.years:
        for index, edition in enumerate(plan.editions):
            at = ("editions", index)
            st = states.get(edition.id)
            status = st.status if st else None
            settled = status in (S.SENT, S.CANCELLED)
            if not settled and edition.send + plan.grace < now:
                found.append(
                    PlanFinding(
                        "error",
                        edition.id,
                        plan.where(*at, "send"),
                        f"{edition.id} was due {edition.send:%Y-%m-%d %H:%M} and is "
                        f"{status.value if status else 'not drafted'}; "
                        f"send it with `varcomms scheduler release {edition.id}` or move its date",
                        "LATE: not sent",
                    )
                )
            elif not settled and edition.send < now:
                found.append(
                    PlanFinding(
                        "warning",
                        edition.id,
                        plan.where(*at, "send"),
                        f"{edition.id} is due now (within grace)",
                    )
                )
            if (
                st is not None
                and st.planned is not None
                and st.planned != edition.send
                and not settled
            ):
                found.append(
                    PlanFinding(
                        "error",
                        edition.id,
                        plan.where(*at, "send"),
                        f"plan says {edition.send:%Y-%m-%d %H:%M}, "
                        f"newsletters/{edition.id}/edition.yaml planned says "
                        f"{st.planned.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}; the edition's "
                        "(signed) time decides, so make them agree",
                        "planned differs from plan",
                    )
                )
            if st is not None and st.error:
                found.append(
                    PlanFinding(
                        "error",
                        edition.id,
                        plan.where(*at),
                        f"edition unreadable: {st.error}",
                        "unreadable",
                    )
                )
            for name, when in edition.dates()[:-1]:
                if when < now and status in (None, S.DRAFT, S.REVIEW) and name != "drafting":
                    found.append(
                        PlanFinding(
                            "warning",
                            edition.id,
                            plan.where(*at, name),
                            f"{name.replace('_', ' ')} {when:%Y-%m-%d %H:%M} has passed and "
                            f"{edition.id} is {status.value if status else 'not drafted'}",
                            f"{name.split('_')[0]} deadline passed",
                        )
                    )
    return found
