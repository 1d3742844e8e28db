"""What every webhook does: verify the request, then parse it into events.

A provider module says how its provider signs (``verify``) and what its payload looks
like (``parse``). The order — refuse what is not verified, never parse first — is fixed
here, so no provider can forget it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from varcomms.config import Secrets
from varcomms.events.model import ProviderEvent


class WebhookRejectedError(Exception):
    """A request that is not acted on, with the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What the web layer hands over: the raw body matters, signatures cover it."""

    body: bytes
    headers: Mapping[str, str]  # case-insensitive lookups are the web layer's job
    authorization: tuple[str, str] | None = None  # HTTP basic auth (user, password)
    query: Mapping[str, str] | None = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise WebhookRejectedError(400, f"the body is not JSON: {err}") from None


# A token seen before: the callable records it and says whether it was new.
TokenCheck = Callable[[str, str], bool]


class WebhookProvider(ABC):
    name: ClassVar[str]
    # The environment variable (without VARCOMMS_) holding what verifies this provider.
    secret_name: ClassVar[str]

    def __init__(self, secrets: Secrets, *, max_age_seconds: int, now: datetime) -> None:
        self.secret = secrets.get(self.secret_name)
        self.max_age = max_age_seconds
        self.now = now

    def events(self, request: WebhookRequest, seen: TokenCheck) -> list[ProviderEvent]:
        """Verified events of a request; :class:`WebhookRejectedError` when it is not genuine."""
        if not self.secret:
            # Unverifiable is refused: an open endpoint lets anyone suppress anyone.
            raise WebhookRejectedError(
                503,
                f"{self.name} webhooks are not configured (VARCOMMS_{self.secret_name.upper()})",
            )
        self.verify(request, seen)
        return self.parse(request)

    @abstractmethod
    def verify(self, request: WebhookRequest, seen: TokenCheck) -> None: ...

    @abstractmethod
    def parse(self, request: WebhookRequest) -> list[ProviderEvent]: ...

    # -- shared checks ---------------------------------------------------------------

    def check_age(self, timestamp: str | int | float | None) -> None:
        try:
            moment = datetime.fromtimestamp(float(timestamp), tz=UTC)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError, OSError):
            raise WebhookRejectedError(400, "missing or unreadable timestamp") from None
        if abs((self.now - moment).total_seconds()) > self.max_age:
            raise WebhookRejectedError(403, "timestamp outside the accepted window (a replay?)")

    def check_basic_auth(self, request: WebhookRequest) -> None:
        """Postmark and Brevo send HTTP basic auth (any user name; the password is ours)."""
        assert self.secret is not None
        given = request.authorization[1] if request.authorization else ""
        token = (request.query or {}).get("token", "")
        expected = self.secret.encode()
        if not (
            hmac.compare_digest(given.encode(), expected)
            or hmac.compare_digest(token.encode(), expected)
        ):
            raise WebhookRejectedError(401, "wrong or missing credentials")


def event_digest(*parts: object) -> str:
    """An id for an event its provider does not number: the same event, the same id."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return "d:" + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:18]).decode()


def parse_time(value: Any) -> datetime | None:
    """Epoch seconds (int, float or str) or ISO 8601, as an aware UTC datetime."""
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def bare_message_id(value: Any) -> str | None:
    """Message-IDs are compared without their angle brackets (providers differ)."""
    if not value:
        return None
    return str(value).strip().strip("<>").strip() or None
