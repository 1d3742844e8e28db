"""``send release``: the editor decides about held (uncertain) rows.

A held row may or may not have reached the provider. Reconciliation settles what the
provider can prove; the rest is a choice only the editor can make, with the counts in
view: ``resend`` accepts a possible second copy, ``mark_sent`` a possible miss. The
decision is written into each row (who, when, which choice), and only rows still
uncertain change.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from varcomms.addresses import fold
from varcomms.context import Context
from varcomms.delivery.ledger import Ledger
from varcomms.delivery.lock import send_lock
from varcomms.delivery.policy import SendState, final_state
from varcomms.errors import InputError, NotFoundError, StateError


@dataclass
class ReleasePlan:
    edition_id: str
    send_id: str
    held: int  # every uncertain row of the send
    row_ids: list[int] = field(default_factory=list)  # the rows this release touches
    emails: list[str] = field(default_factory=list)
    not_held: list[str] = field(default_factory=list)  # named addresses with no held row

    @property
    def selected(self) -> int:
        return len(self.row_ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition_id": self.edition_id,
            "send_id": self.send_id,
            "held": self.held,
            "selected": self.selected,
            "emails": self.emails,
            "not_held": self.not_held,
        }


def plan_release(ctx: Context, edition_id: str, addresses: Sequence[str] | None) -> ReleasePlan:
    """Which held rows a release would touch: all (``addresses`` None) or the named."""
    ledger = Ledger(ctx.store, ctx.clock)
    send = ledger.latest_send(edition_id)
    if send is None:
        raise NotFoundError(
            f"edition {edition_id!r} has not been sent",
            hint=f"send it with: varcomms send {edition_id}",
        )
    everything = ledger.uncertain_rows(send.id)
    plan = ReleasePlan(edition_id=edition_id, send_id=send.id, held=len(everything))
    if addresses is None:
        chosen = everything
    else:
        wanted = [fold(a) for a in addresses]
        if not wanted:
            raise InputError("name the addresses to release, or --all", field="ADDRESS")
        asked = set(wanted)
        chosen = [(row_id, row) for row_id, row in everything if row.email in asked]
        found = {row.email for _, row in chosen}
        plan.not_held = [a for a in wanted if a not in found]
    plan.row_ids = [row_id for row_id, _ in chosen]
    plan.emails = [row.email for _, row in chosen]
    return plan


def release_held(ctx: Context, plan: ReleasePlan, *, resend: bool) -> int:
    """Carry out a planned release; returns the rows changed. After ``resend`` the send
    is incomplete and ``send --resume`` (which the CLI runs next) sends those rows."""
    if not plan.row_ids:
        raise StateError(
            f"no held rows to release for {plan.edition_id}",
            hint=f"`varcomms send status {plan.edition_id}` lists every uncertain row",
        )
    ledger = Ledger(ctx.store, ctx.clock)
    who = _who()
    stamp = ctx.clock.now().isoformat(timespec="seconds")
    choice = "re-sent" if resend else "marked sent"
    note = f"{choice} by {who} at {stamp} (was uncertain)"
    with send_lock(ctx.store, plan.edition_id):
        changed = ledger.release(plan.row_ids, resend=resend, note=note)
        state = final_state(ledger.count_states(plan.send_id), paused=False)
        ledger.set_send_status(plan.send_id, state.value)
        if state is SendState.FINISHED:
            from varcomms.editions import load_edition, set_status
            from varcomms.models import EditionStatus

            if load_edition(ctx.config, plan.edition_id).status is EditionStatus.SENDING:
                set_status(ctx, plan.edition_id, EditionStatus.SENT)
    return changed


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "an editor"
