"""The HTTP middle class: one request per batch, and what its answer means.

A provider built on :class:`HttpProvider` only says where and what to post
(:meth:`build_request`), how to read a success (:meth:`parse_response`) and which
refusals concern a recipient (:meth:`refuses_a_recipient`). This class makes exactly
one request per :meth:`send_batch` and turns the answer into outcomes; it never waits
and never retries: retrying is the send loop's job (one home, one back-off), so rows
that wait for a retry are never "in flight".

What an answer means, for every HTTP provider alike:

- 2xx: the provider's own reading (:meth:`parse_response`).
- 401/403 (the key), 404/405 (domain or base URL), a 400 about the request itself:
  a configuration error. The send pauses with nobody marked failed.
- 429, 503, 408 and a connection that could not be opened: not accepted, retry.
- 400/413/422 about a recipient: :data:`OutcomeStatus.SPLIT`, the loop bisects.
- other 5xx, a reset or a timeout after the body went out: ambiguous. Uncertain, unless
  the provider takes an idempotency key, which makes a re-post harmless.
"""

from __future__ import annotations

import json
import logging
import threading
from abc import abstractmethod
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError

from varcomms.delivery.providers.base import Batch, Outcome, OutcomeStatus, Provider
from varcomms.errors import ProviderError

log = logging.getLogger(__name__)

# Answers that say the request was not processed (RFC 9110: 503 "currently unable to
# handle the request"; 429 "too many requests"; 408 "did not receive a complete request").
NOT_ACCEPTED_STATUSES = frozenset({408, 425, 429, 503})
AUTH_STATUSES = frozenset({401, 403})
# The URL is wrong: an unknown sending domain or a base URL without the API behind it.
ENDPOINT_STATUSES = frozenset({404, 405})
# Refusals a batch may get because of one recipient (or because it is too large).
RECIPIENT_STATUSES = frozenset({400, 413, 422})
MAX_SERVER_WAIT = 15 * 60.0
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
                return min(seconds, MAX_SERVER_WAIT)
    return None


def describe_error(response: requests.Response) -> str:
    """A one-line reason from an error response, whatever shape the body has."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
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


def _causes(err: BaseException) -> list[BaseException]:
    """The exception and what it wraps: requests wraps urllib3 wraps the socket error."""
    seen: list[BaseException] = []
    todo: list[Any] = [err]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or current in seen:
            continue
        seen.append(current)
        todo.extend(current.args)
        todo.extend((getattr(current, "reason", None), current.__cause__, current.__context__))
    return seen


def never_sent(err: BaseException) -> bool:
    """True when the connection failed before any byte of the request left (by type,
    never by message text: a wrong answer here means a lost or a second copy)."""
    return isinstance(err, requests.exceptions.ConnectTimeout) or any(
        isinstance(cause, NewConnectionError | ConnectionRefusedError) for cause in _causes(err)
    )


# Per worker thread: did the current request's body reach the socket? None: unknown.
_wire = threading.local()


class _WireTracking:
    """Records whether urllib3 finished writing the request (headers and body). A
    provider acts only on a complete request, so a failure before that point means
    "not accepted": safe to retry, never "uncertain"."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        _wire.body_written = False
        super().request(*args, **kwargs)  # type: ignore[misc]
        _wire.body_written = True


class _TrackingHTTPConnection(_WireTracking, HTTPConnection):
    pass


class _TrackingHTTPSConnection(_WireTracking, HTTPSConnection):
    pass


class _TrackingHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackingHTTPConnection


class _TrackingHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackingHTTPSConnection


class WireTrackingAdapter(HTTPAdapter):
    """requests' adapter with connections that say when a request was fully written."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackingHTTPPool,
            "https": _TrackingHTTPSPool,
        }


def body_written() -> bool | None:
    return getattr(_wire, "body_written", None)


def unresolvable(err: BaseException) -> bool:
    return any(isinstance(cause, NameResolutionError) for cause in _causes(err))


class HttpProvider(Provider):
    """Base for HTTP API providers: one request per batch, no waiting, no retries."""

    connect_timeout: float = 10.0

    def __init__(self, *args: Any, session: requests.Session | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if session is None:
            session = requests.Session()
            pool = max(2, self.delivery.concurrency)
            adapter = WireTrackingAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.session.headers.setdefault("User-Agent", "varcomms/0.1")
        self.api_key = self.secret()

    @property
    def conf(self) -> Any:
        """This provider's own ``[provider.<name>]`` settings."""
        return getattr(self.settings, self.name)

    @property
    def base_url(self) -> str:
        return str(self.conf.base_url).rstrip("/")

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, float(self.conf.read_timeout))

    @property
    def batch_size(self) -> int:
        return min(int(self.conf.batch_size), self.capabilities.max_batch)

    @abstractmethod
    def build_request(self, batch: Batch) -> HttpRequest: ...

    @abstractmethod
    def parse_response(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        """Read a 2xx answer into outcomes."""

    def refuses_a_recipient(self, response: requests.Response, reason: str) -> bool:
        """Does this 4xx concern a recipient (split the batch), or the request (pause)?"""
        return False

    def auth_headers(self) -> dict[str, str]:
        return {}

    def send_batch(self, batch: Batch) -> list[Outcome]:
        request = self.build_request(batch)
        _wire.body_written = None
        try:
            response = self.session.post(
                request.url,
                json=request.json,
                data=request.data,
                files=request.files,
                headers={**self.auth_headers(), **request.headers},
                timeout=self.timeout,
            )
        except requests.exceptions.InvalidHeader:
            # requests puts the header value (the key) in its message: never show it.
            raise ProviderError(
                "the request headers are invalid (a secret with a stray character?)",
                provider=self.name,
                hint=self.secret_hint,
            ) from None
        except requests.exceptions.RequestException as err:
            return self.transport_failure(batch, err)
        return self.classify(batch, response)

    def transport_failure(self, batch: Batch, err: BaseException) -> list[Outcome]:
        if unresolvable(err):
            raise ProviderError(
                f"cannot resolve the host of {self.base_url}",
                provider=self.name,
                hint=f"check provider.{self.name}.base_url in varcomms.toml",
            ) from err
        if never_sent(err):
            return self.all(batch, OutcomeStatus.RETRY, f"cannot connect: {type(err).__name__}")
        if body_written() is False and not isinstance(err, requests.exceptions.ReadTimeout):
            # The connection broke while the request was being written: incomplete, so
            # the provider cannot have acted on it.
            return self.all(
                batch, OutcomeStatus.RETRY, f"connection lost while sending: {type(err).__name__}"
            )
        if isinstance(err, requests.exceptions.SSLError):
            raise ProviderError(
                f"TLS with {self.base_url} failed: {type(err).__name__}",
                provider=self.name,
                hint=f"check provider.{self.name}.base_url in varcomms.toml",
            ) from err
        what = (
            "no answer in time"
            if isinstance(err, requests.exceptions.Timeout)
            else ("connection lost after sending")
        )
        if self.capabilities.idempotency:
            return self.all(batch, OutcomeStatus.RETRY, f"{what}; re-posted under its key")
        return self.all(batch, OutcomeStatus.UNCERTAIN, what)

    def classify(self, batch: Batch, response: requests.Response) -> list[Outcome]:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return self.parse_response(batch, response)
            except MaybeAcceptedError as err:
                return self.all(batch, OutcomeStatus.UNCERTAIN, str(err))
        reason = f"HTTP {status}: {describe_error(response)}"
        if status in AUTH_STATUSES:
            raise ProviderError(
                f"the API key was refused: {describe_error(response)}",
                provider=self.name,
                status=status,
                hint=self.secret_hint,
            )
        if status in ENDPOINT_STATUSES:
            raise ProviderError(
                f"{self.base_url} does not know this request: {describe_error(response)}",
                provider=self.name,
                status=status,
                hint=self.endpoint_hint,
            )
        if status in NOT_ACCEPTED_STATUSES:
            wait = server_wait(response, self.clock.now().timestamp())
            return self.all(batch, OutcomeStatus.RETRY, reason, retry_after=wait)
        if status >= 500:
            # The body went out; a gateway may answer 5xx after the provider queued it.
            if self.capabilities.idempotency:
                return self.all(batch, OutcomeStatus.RETRY, reason)
            return self.all(batch, OutcomeStatus.UNCERTAIN, f"{reason} (after the request)")
        if status in RECIPIENT_STATUSES and (
            status == 413 or self.refuses_a_recipient(response, reason)
        ):
            if len(batch.messages) == 1:
                return self.all(batch, OutcomeStatus.FAILED, reason)
            return self.all(batch, OutcomeStatus.SPLIT, reason)
        raise ProviderError(
            f"the request was refused: {describe_error(response)}",
            provider=self.name,
            status=status,
            hint=self.request_hint,
        )

    @staticmethod
    def all(
        batch: Batch, status: OutcomeStatus, reason: str, *, retry_after: float | None = None
    ) -> list[Outcome]:
        return [
            Outcome(m.key, status, error=reason, retry_after=retry_after) for m in batch.messages
        ]

    @property
    def endpoint_hint(self) -> str:
        return f"check provider.{self.name}.base_url in varcomms.toml"

    @property
    def request_hint(self) -> str:
        return "check the sender settings in varcomms.toml; nobody was marked failed"

    def close(self) -> None:
        self.session.close()


def require_json(response: requests.Response, provider: str) -> Any:
    """A 2xx without a readable body: accepted or not, we cannot tell."""
    try:
        return response.json()
    except ValueError as err:
        raise MaybeAcceptedError(
            f"{provider} answered HTTP {response.status_code} without JSON"
        ) from err


class MaybeAcceptedError(Exception):
    """A 2xx we cannot read: the request may have been accepted."""
