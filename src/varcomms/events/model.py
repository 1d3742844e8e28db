"""One event in the project's vocabulary, whichever provider reported it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from varcomms.models import EventType


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    provider: str
    # The provider's own id of the event; where it has none, a digest of what makes the
    # event itself (so a retried webhook is recognised and stored once).
    event_id: str
    type: EventType
    email: str | None
    occurred_at: datetime
    message_id: str | None = None  # our Message-ID, as the provider echoes it
    provider_message_id: str | None = None  # the provider's own message id
    send_id: str | None = None  # from the custom variables we set on the send
    edition_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_hard_bounce(self) -> bool:
        return self.type is EventType.BOUNCED and self.data.get("bounce") == "hard"

    @property
    def is_soft_bounce(self) -> bool:
        return self.type is EventType.BOUNCED and self.data.get("bounce") != "hard"
