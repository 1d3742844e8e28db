"""Delivery: personalise, build MIME, hand to a provider, keep the send ledger.

The entry points: :func:`send_edition` (an edition to its audience), :func:`deliver`
(rendered variants to recipients, exactly once each) and :func:`send_status`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
_LAZY = {
    "EmptyAudienceError": "edition",
    "plan_send": "edition",
    "send_edition": "edition",
    "SendState": "policy",
    "ReleasePlan": "release",
    "plan_release": "release",
    "release_held": "release",
    "SendReport": "report",
    "SendStatus": "report",
    "SendSummary": "report",
    "deliver": "send",
    "send_status": "status",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
