"""Mail providers, registered by name (``provider.name`` in varcomms.toml)."""

from __future__ import annotations

import importlib
import random
from typing import TYPE_CHECKING, Any

from varcomms.config import PROVIDER_NAMES
from varcomms.delivery.providers.base import (
    Batch,
    Capabilities,
    InFlight,
    Message,
    Outcome,
    OutcomeStatus,
    PreparedVariant,
    Provider,
    Requirements,
)
from varcomms.errors import ConfigError

if TYPE_CHECKING:
    from varcomms.context import Context

# name -> "module:Class", imported on demand so an unused provider costs nothing.
REGISTRY: dict[str, str] = {
    "outbox": "varcomms.delivery.providers.outbox:OutboxProvider",
    "memory": "varcomms.delivery.providers.memory:MemoryProvider",
    "smtp": "varcomms.delivery.providers.smtp:SmtpProvider",
    "mailgun": "varcomms.delivery.providers.mailgun:MailgunProvider",
    "sendgrid": "varcomms.delivery.providers.sendgrid:SendgridProvider",
    "postmark": "varcomms.delivery.providers.postmark:PostmarkProvider",
    "brevo": "varcomms.delivery.providers.brevo:BrevoProvider",
}


def provider_class(name: str) -> type[Provider]:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown provider {name!r}",
            hint=f"provider.name must be one of: {', '.join(PROVIDER_NAMES)}",
        ) from None
    module, _, attribute = target.partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module), attribute)
    return cls


def make_provider(
    ctx: Context, name: str | None = None, *, rng: random.Random | None = None, **options: Any
) -> Provider:
    """The configured provider; missing secrets are reported here, before any send."""
    return provider_class(name or ctx.config.provider.name)(ctx, rng=rng, **options)


__all__ = [
    "REGISTRY",
    "Batch",
    "Capabilities",
    "InFlight",
    "Message",
    "Outcome",
    "OutcomeStatus",
    "PreparedVariant",
    "Provider",
    "Requirements",
    "make_provider",
    "provider_class",
]
