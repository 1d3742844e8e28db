"""The provider base class: one order of steps, each provider fills in what differs.

A :class:`Batch` is messages of one variant for a provider call; :meth:`Provider.send`
checks it against the provider's :class:`Capabilities`, hands it to the provider's own
:meth:`Provider.send_batch`, and returns one :class:`Outcome` per message in a closed
vocabulary. Providers never touch the ledger; they say what happened and the send loop
records it.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from varcomms.errors import ConfigError, ProviderError

if TYPE_CHECKING:
    from varcomms.context import Context
    from varcomms.delivery.mime import MimeTemplate


class OutcomeStatus(StrEnum):
    SENT = "sent"  # accepted by the provider
    FAILED = "failed"  # refused for good (this recipient or this message)
    RETRY = "retry"  # not accepted, safe to try again later (nothing left our hands)
    UNCERTAIN = "uncertain"  # may or may not have been accepted
    # The provider refused the whole request because of a recipient it did not name:
    # nothing was accepted, and the send loop splits the batch to find who it was.
    SPLIT = "split"


@dataclass(frozen=True, slots=True)
class Outcome:
    key: str
    status: OutcomeStatus
    provider_message_id: str | None = None
    error: str | None = None
    # For RETRY: how long the provider asked us to wait (Retry-After), if it said.
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do; the send loop asks before the first message leaves."""

    max_batch: int
    per_recipient_headers: bool = True
    custom_message_id: bool = True
    # Can tell after a crash whether an in-flight message was accepted.
    reconcile: bool = False
    # Retrying a request with the same key never sends twice.
    idempotency: bool = False
    # Messages leave this machine: the rate limit protects the service and our sender
    # reputation. A local provider (outbox, memory) has nobody to protect.
    remote: bool = True
    # Can deliver to an address with non-ASCII characters before the "@" (SMTPUTF8/EAI).
    # IDN domains are always fine: they go out in their ASCII (xn--) form.
    utf8_local_part: bool = False
    # What the provider's rate limit counts: "requests" (a batch API) or "messages".
    rate_unit: str = "messages"


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a send needs of its provider."""

    per_recipient_headers: bool = True  # List-Unsubscribe carries a personal link

    def unmet(self, capabilities: Capabilities) -> list[str]:
        missing = []
        if self.per_recipient_headers and not capabilities.per_recipient_headers:
            missing.append("per-recipient headers (the personal List-Unsubscribe link)")
        return missing


@dataclass(slots=True)
class Message:
    """One personal message: who, which headers, which values fill the placeholders."""

    key: str  # ledger recipient key
    email: str
    to_header: str
    name: str | None
    message_id: str
    values: dict[str, str]
    # Personal headers besides To and Message-ID (List-Unsubscribe, …), in order.
    headers: list[tuple[str, str]]


@dataclass(slots=True)
class PreparedVariant:
    """One rendered variant, ready for providers: subject, bodies, shared headers."""

    key: str
    subject: str
    html: str
    text: str
    from_name: str
    from_address: str
    reply_to: str | None
    # Headers every message of the send carries (List-Id, List-Unsubscribe-Post, …).
    headers: list[tuple[str, str]]
    mime: MimeTemplate

    @property
    def from_header(self) -> str:
        from email.utils import formataddr

        return formataddr((self.from_name, self.from_address), charset="utf-8")


@dataclass(slots=True)
class Batch:
    number: int
    send_id: str
    edition_id: str
    variant: PreparedVariant
    messages: list[Message]
    is_test: bool = False
    # Stable for this batch's membership: a re-post after a crash reuses it.
    idempotency_key: str = ""
    tags: list[str] = field(default_factory=list)

    def render_mime(self, message: Message) -> bytes:
        return self.variant.mime.render(
            to_header=message.to_header,
            message_id=message.message_id,
            personal_headers=message.headers,
            values=message.values,
        )


@dataclass(frozen=True, slots=True)
class InFlight:
    """A ledger row that was handed to the provider when the send stopped."""

    key: str
    email: str
    edition_id: str
    message_id: str | None
    batch: int
    updated_at: datetime | None = None


class Provider(ABC):
    """Base of every provider. Subclasses set ``name`` and fill in ``send_batch``.

    Each provider module declares, in one place: its ``name`` (``provider.name``), its
    settings model (``settings_model``, the ``[provider.<name>]`` table), the secret it
    needs (``secret_name``, read from ``VARCOMMS_<SECRET_NAME>``), its ``capabilities``
    (batching, idempotency, reconciliation, per-recipient headers) and batch limits.
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    settings_model: ClassVar[type[Any] | None] = None
    secret_name: ClassVar[str | None] = None
    # Documented ceiling of the provider, in its own unit (capabilities.rate_unit); the
    # default for ``[delivery] rate_per_second`` when that is not set.
    default_rate: ClassVar[float | None] = None

    def __init__(self, ctx: Context, *, rng: random.Random | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.config.provider
        self.delivery = ctx.config.delivery
        self.clock = ctx.clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrets

    # -- secrets -------------------------------------------------------------------------

    @property
    def secret_variable(self) -> str:
        return f"VARCOMMS_{(self.secret_name or '').upper()}"

    @property
    def secret_hint(self) -> str:
        return f"check {self.secret_variable} and the account"

    def secret(self) -> str | None:
        """The declared secret, validated at load: a key that would break (or leak
        through) a request header is refused here, naming the variable, never the value."""
        if self.secret_name is None:
            return None
        value = self.ctx.secrets.require(self.secret_name, purpose=f"sending with {self.name}")
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
            raise ConfigError(
                f"{self.secret_variable} contains a line break, space or control character",
                hint="set it again without the trailing newline (or CR) a copy often adds",
            )
        return value

    # -- the fixed order of steps --------------------------------------------------------

    def check(self, requirements: Requirements) -> None:
        """Refuse at start what this provider cannot do, instead of dropping it silently."""
        missing = requirements.unmet(self.effective_capabilities)
        if missing:
            raise ProviderError(
                f"cannot send this newsletter: it needs {', '.join(missing)}",
                provider=self.name,
                hint=self.capability_hint,
            )

    def send(self, batch: Batch) -> list[Outcome]:
        if len(batch.messages) > self.batch_size:
            raise ProviderError(
                f"batch of {len(batch.messages)} exceeds the limit of {self.batch_size}",
                provider=self.name,
            )
        if not batch.messages:
            return []
        outcomes = self.send_batch(batch)
        return self._complete(batch, outcomes)

    # -- steps a provider fills in -------------------------------------------------------

    def open(self) -> None:  # noqa: B027 - optional step
        """Check credentials and reachability before the first message (optional)."""

    def close(self) -> None:  # noqa: B027 - optional step
        """Release connections (optional)."""

    @abstractmethod
    def send_batch(self, batch: Batch) -> list[Outcome]:
        """Hand the batch to the service; one outcome per message, any order."""

    def reconcile(self, rows: Sequence[InFlight]) -> dict[str, Outcome] | None:
        """After a crash: what became of these in-flight messages? ``None``: cannot tell."""
        return None

    # -- shared helpers ------------------------------------------------------------------

    @property
    def batch_size(self) -> int:
        return self.capabilities.max_batch

    def batch_size_for(self, variant: PreparedVariant) -> int:
        """How many messages of this variant fit one call (payload limits may lower it)."""
        return self.batch_size

    @property
    def max_concurrency(self) -> int:
        return self.delivery.concurrency

    @property
    def effective_capabilities(self) -> Capabilities:
        return self.capabilities

    capability_hint: ClassVar[str | None] = None

    def _complete(self, batch: Batch, outcomes: list[Outcome]) -> list[Outcome]:
        """Every message gets exactly one outcome; a gap is a provider bug, never a drop."""
        by_key = {outcome.key: outcome for outcome in outcomes}
        result = []
        for message in batch.messages:
            outcome = by_key.get(message.key)
            if outcome is None:
                outcome = Outcome(
                    message.key, OutcomeStatus.UNCERTAIN, error="provider gave no result"
                )
            result.append(outcome)
        return result
