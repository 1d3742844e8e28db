"""Delivery: personalise, build MIME, hand to a provider, keep the send ledger.

The entry points: :func:`send_edition` (an edition to its audience), :func:`deliver`
(rendered variants to recipients, exactly once each) and :func:`send_status`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from varcomms.lazy import lazy_exports

if TYPE_CHECKING:
    from varcomms.delivery.edition import EmptyAudienceError, plan_send, send_edition
    from varcomms.delivery.policy import SendState
    from varcomms.delivery.release import ReleasePlan, plan_release, release_held
    from varcomms.delivery.report import SendReport, SendStatus, SendSummary
    from varcomms.delivery.send import deliver
    from varcomms.delivery.status import send_status

# A send imports the renderer's output types, the audience, MIME and the providers;
# `send status` reads the ledger and needs none of them. So the names load from their
# modules on first use (PEP 562), and a read-only command stays quick to start.
__getattr__ = lazy_exports(
    __name__,
    {
        "edition": ("EmptyAudienceError", "plan_send", "send_edition"),
        "policy": ("SendState",),
        "release": ("ReleasePlan", "plan_release", "release_held"),
        "report": ("SendReport", "SendStatus", "SendSummary"),
        "send": ("deliver",),
        "status": ("send_status",),
    },
)


__all__ = [
    "EmptyAudienceError",
    "ReleasePlan",
    "SendReport",
    "SendState",
    "SendStatus",
    "SendSummary",
    "deliver",
    "plan_release",
    "plan_send",
    "release_held",
    "send_edition",
    "send_status",
]
