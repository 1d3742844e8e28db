"""Events: what providers report after a send, normalised, stored once, and acted on.

Webhooks (:mod:`varcomms.events.webhooks`, one module per provider) and bounce mailboxes
(:mod:`varcomms.events.dsn`) turn what a provider says into :class:`ProviderEvent`;
:func:`ingest` stores each event once, ties it to the send ledger and applies its
effects through the audience stage (a hard bounce or complaint suppresses at once).
"""

from __future__ import annotations

from varcomms.events.ingest import IngestReport, ingest
from varcomms.events.model import ProviderEvent

__all__ = ["IngestReport", "ProviderEvent", "ingest"]
