"""Delivery: personalise, build MIME, hand to a provider, keep the send ledger.

The entry points: :func:`send_edition` (an edition to its audience), :func:`deliver`
(rendered variants to recipients, exactly once each) and :func:`send_status`.
"""

from __future__ import annotations

from varcomms.delivery.edition import plan_send, send_edition
from varcomms.delivery.report import SendReport, SendStatus, SendSummary
from varcomms.delivery.send import deliver
from varcomms.delivery.status import send_status

__all__ = [
    "SendReport",
    "SendStatus",
    "SendSummary",
    "deliver",
    "plan_send",
    "send_edition",
    "send_status",
]
