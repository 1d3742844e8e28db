"""Delivery: personalise, build MIME, hand to a provider, keep the send ledger.

The entry points: :func:`send_edition` (an edition to its audience), :func:`deliver`
(rendered variants to recipients, exactly once each) and :func:`send_status`.
"""

from __future__ import annotations

from varcomms.delivery.edition import EmptyAudienceError, plan_send, send_edition
from varcomms.delivery.policy import SendState
from varcomms.delivery.release import ReleasePlan, plan_release, release_held
from varcomms.delivery.report import SendReport, SendStatus, SendSummary
from varcomms.delivery.send import deliver
from varcomms.delivery.status import send_status

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
