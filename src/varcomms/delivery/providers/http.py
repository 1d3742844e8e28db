"""The HTTP middle class: session, timeouts, retries with backoff, rate-limit headers.

A provider built on :class:`HttpProvider` only says where and what to post
(:meth:`build_request`) and how to read the answer (:meth:`parse_response`). Everything
between — the session, 429 and 5xx with exponential backoff and jitter, ``Retry-After``
and rate-limit reset headers, telling "never reached the server" from "may have been
accepted" — lives here, once.
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from varcomms.delivery.providers.base import Batch, Outcome, OutcomeStatus, Provider
from varcomms.errors import ProviderError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
# Rate-limit reset headers beyond Retry-After, as the services name them.
RESET_HEADERS = ("X-RateLimit-Reset", "x-sib-ratelimit-reset", "RateLimit-Reset")


@dataclass(slots=True)
class HttpRequest:
    url: str
    json: Any = None
    data: Any = None
    files: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def _parse_seconds(value: str, now_epoch: float) -> float | None:
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now_epoch)
        except (TypeError, ValueError):
            return None
    # Large numbers are epoch timestamps (GitHub/SendGrid style), small ones deltas.
    if number > 1_000_000_000:
        return max(0.0, number - now_epoch)
    return max(0.0, number)


def server_wait(response: requests.Response, now_epoch: float) -> float | None:
    """How long the server asked us to wait, from Retry-After or a reset header."""
    for name in ("Retry-After", *RESET_HEADERS):
        value = response.headers.get(name)
        if value:
            seconds = _parse_seconds(value, now_epoch)
            if seconds is not None:
                return min(seconds, 15 * 60.0)
    return None


def describe_error(response: requests.Response) -> str:
    """A one-line reason from an error response, whatever shape the body has."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return text[:300] or response.reason or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(
                str(error.get("message", error)) if isinstance(error, dict) else str(error)
                for error in body["errors"]
            )[:300]
        for key in ("message", "Message", "error"):
            if key in body:
                return str(body[key])[:300]
    return json.dumps(body)[:300]


class BatchNotAcceptedError(Exception):
    """Retries ran out; the provider never accepted the batch (safe to retry later)."""


class HttpProvider(Provider):
    """Base for HTTP API providers."""

    timeout: tuple[float, float] = (10.0, 60.0)

    def __init__(self, *args: Any, session: requests.Session | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if session is None:
            session = requests.Session()
            pool = max(2, self.delivery.concurrency)
            adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.session.headers.setdefault("User-Agent", "varcomms/0.1")

    @abstractmethod
    def build_request(self, batch: Batch) -> HttpRequest: ...

    @abstractmethod
    def parse_response(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        """Read a 2xx answer (or a 4xx that refuses the batch) into outcomes."""

    def auth_headers(self) -> dict[str, str]:
        return {}

    def send_batch(self, batch: Batch) -> list[Outcome]:
        request = self.build_request(batch)
        try:
            response = self.transmit(request)
            return self.parse_response(batch, response)
        except BatchNotAcceptedError as err:
            return [Outcome(m.key, OutcomeStatus.RETRY, error=str(err)) for m in batch.messages]
        except _MaybeAcceptedError as err:
            return [Outcome(m.key, OutcomeStatus.UNCERTAIN, error=str(err)) for m in batch.messages]

    def refuse_all(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        reason = f"HTTP {response.status_code}: {describe_error(response)}"
        return [Outcome(m.key, OutcomeStatus.FAILED, error=reason) for m in batch.messages]

    # -- the retry loop ------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def transmit(self, request: HttpRequest) -> requests.Response:
        attempts = self.delivery.max_retries + 1
        last_reason = "no attempt made"
        for attempt in range(attempts):
            if attempt:
                log.debug("%s: retry %d after: %s", self.name, attempt, last_reason)
            try:
                response = self.session.post(
                    request.url,
                    json=request.json,
                    data=request.data,
                    files=request.files,
                    headers={**self.auth_headers(), **request.headers},
                    timeout=self.timeout,
                )
            except requests.exceptions.ConnectTimeout as err:
                last_reason = f"cannot connect: {err}"
                self.clock.sleep(self.backoff(attempt))
                continue
            except requests.exceptions.ConnectionError as err:
                if _never_sent(err) or self.capabilities.idempotency:
                    last_reason = f"connection failed: {err}"
                    self.clock.sleep(self.backoff(attempt))
                    continue
                raise _MaybeAcceptedError(f"connection lost after sending: {err}") from err
            except requests.exceptions.Timeout as err:
                if self.capabilities.idempotency:
                    last_reason = f"timed out: {err}"
                    self.clock.sleep(self.backoff(attempt))
                    continue
                raise _MaybeAcceptedError(f"no answer in time: {err}") from err
            status = response.status_code
            if status in AUTH_STATUSES:
                raise ProviderError(
                    f"the API key was refused: {describe_error(response)}",
                    provider=self.name,
                    status=status,
                    hint=f"check VARCOMMS_{self.name.upper()}_API_KEY and the account",
                )
            if status in RETRY_STATUSES:
                last_reason = f"HTTP {status}: {describe_error(response)}"
                asked = server_wait(response, self.clock.now().timestamp())
                delay = self.backoff(attempt)
                if asked is not None:
                    delay = max(delay, asked)
                if attempt + 1 < attempts:
                    self.clock.sleep(delay)
                continue
            return response
        raise BatchNotAcceptedError(f"gave up after {attempts} attempts: {last_reason}")

    def close(self) -> None:
        self.session.close()


class _MaybeAcceptedError(Exception):
    """The request may have reached the provider; its fate is unknown."""


def _never_sent(err: requests.exceptions.ConnectionError) -> bool:
    """True when the connection failed before the request could be delivered."""
    text = repr(err)
    return any(
        marker in text
        for marker in ("NewConnectionError", "Connection refused", "Name or service not known")
    )


def require_json(response: requests.Response, provider: str) -> Any:
    try:
        return response.json()
    except ValueError as err:
        raise _MaybeAcceptedError(
            f"{provider} answered HTTP {response.status_code} without JSON"
        ) from err
