"""Fetching a source's document over HTTP: politely, patiently, and only when it changed.

One :class:`HttpClient` serves a whole collect run. It owns the ``requests`` session
(connection pooling, a User-Agent naming varcomms), explicit connect/read timeouts, a
per-host limit, conditional GET with the validators of the previous run, and retries with
exponential backoff on connection errors, 429 and 5xx. Backoff waits through the
injected clock, so tests never sleep. urllib3's own ``Retry`` is not used for that reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from varcomms.clock import Clock
from varcomms.config import CollectSettings
from varcomms.errors import SourceError

# A feed larger than this is not a feed we want to read into memory.
MAX_BYTES = 20 * 1024 * 1024
# Longest wait of our own backoff between attempts.
MAX_BACKOFF_SECONDS = 60.0
# How much of the body one read asks for; the download deadline is checked after each.
READ_SIZE = 16 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, text/calendar, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class Validators:
    """What the server told us last time, sent back to ask "has it changed?"."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Document:
    """A fetched (or read) document and what is needed to parse it correctly."""

    content: bytes
    # The final URL after redirects (http), or the file's URI; relative links resolve here.
    url: str
    # Response headers, lower-case names (what feedparser expects).
    headers: Mapping[str, str] = field(default_factory=dict)
    validators: Validators = Validators()
    not_modified: bool = False
    notes: tuple[str, ...] = ()

    @property
    def is_http(self) -> bool:
        return urlsplit(self.url).scheme in ("http", "https")

    @property
    def base_url(self) -> str | None:
        """Where relative links point; None for local files (they need the feed's link)."""
        return self.url if self.is_http else None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class SourceDeferredError(SourceError):
    """The server asked us to come back later than a collect run is willing to wait."""


class HttpClient:
    """One per collect run; safe to share between the worker threads."""

    def __init__(
        self,
        settings: CollectSettings,
        clock: Clock,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=max(settings.concurrency, 4))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": settings.user_agent, "Accept": ACCEPT})
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.session.close()

    def _host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(self.settings.per_host)
            return self._hosts[host]

    def get(
        self,
        url: str,
        *,
        validators: Validators = Validators(),
        read_timeout: float | None = None,
    ) -> Document:
        """GET ``url``; a 304 gives a Document with ``not_modified`` and no content.

        Raises :class:`SourceError` with the reason (status, timeout, refused connection)
        once the retries are used up.
        """
        timeout = (self.settings.connect_timeout, read_timeout or self.settings.read_timeout)
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            retry = attempt < attempts - 1
            try:
                with self._host_slot(url):
                    outcome = self._attempt(url, validators, timeout, attempt, retry=retry)
            except requests.exceptions.ReadTimeout as err:
                # A server that stalls once will likely stall again; waiting another
                # read timeout per retry would hold up the whole run.
                raise SourceError(
                    f"timed out after {timeout[1]:g} s waiting for {url}",
                    hint="the server is slow or down; raise timeout_seconds if it is just slow",
                ) from err
            except requests.exceptions.ConnectionError as err:
                if not retry:
                    raise SourceError(
                        f"cannot connect to {urlsplit(url).netloc}: {_reason(err)}",
                        hint="check the URL and the network; it is retried on the next run",
                    ) from err
                outcome = self._backoff(attempt)
            except requests.exceptions.RequestException as err:
                raise SourceError(f"request to {url} failed: {_reason(err)}") from err
            except urllib3.exceptions.HTTPError as err:  # from the body, read with raw.read1
                raise SourceError(f"request to {url} failed: {_reason(err)}") from err
            if isinstance(outcome, Document):
                return outcome
            self.clock.sleep(outcome)  # outside the host slot: others may go meanwhile
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        url: str,
        validators: Validators,
        timeout: tuple[float, float],
        attempt: int,
        *,
        retry: bool,
    ) -> Document | float:
        """One request: the Document, or how long to wait before trying again."""
        response = self.session.get(
            url,
            headers=validators.request_headers(),
            timeout=timeout,
            stream=True,
            allow_redirects=True,
        )
        try:
            if response.status_code in RETRY_STATUSES and retry:
                wait = self._retry_after(response)
                if wait is not None and wait > self.settings.retry_after_max:
                    # Waiting would hold up the whole run (the report of every other
                    # source included): this source is fetched again on the next run.
                    raise SourceDeferredError(
                        f"HTTP {response.status_code} from {response.url}: the server asks to "
                        f"retry after {wait:.0f} s (more than collect.retry_after_max, "
                        f"{self.settings.retry_after_max:g} s)",
                        hint="it is fetched again on the next run",
                    )
                return wait if wait is not None else self._backoff(attempt)
            return self._document(response, timeout[1], validators)
        finally:
            response.close()

    def _backoff(self, attempt: int) -> float:
        return min(2.0**attempt, MAX_BACKOFF_SECONDS)

    def _retry_after(self, response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        if value.strip().isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
            return max(0.0, (when - self.clock.now()).total_seconds())
        except (TypeError, ValueError, OverflowError):
            return None

    def _document(
        self, response: requests.Response, read_timeout: float, sent: Validators
    ) -> Document:
        notes = _redirect_notes(response)
        if response.status_code == 304:
            return Document(
                content=b"",
                url=response.url,
                headers=_lower(response.headers),
                validators=sent,
                not_modified=True,
                notes=notes,
            )
        status = f"HTTP {response.status_code} {response.reason or ''}".strip()
        if response.status_code >= 400:
            raise SourceError(
                f"{status} from {response.url}", hint=_status_hint(response.status_code)
            )
        if 300 <= response.status_code < 400:  # a redirect requests could not follow
            where = response.headers.get("Location")
            raise SourceError(
                f"{status} from {response.url} "
                + (f"to {where!r}, which cannot be followed" if where else "without a Location"),
                hint="the server's redirect is broken; check the source's url",
            )
        deadline = max(self.settings.download_timeout, read_timeout)
        content = _read_body(response, read_timeout, deadline)
        headers = _lower(response.headers)
        # feedparser resolves relative links against Content-Location: give it the final
        # URL, or the server's own Content-Location made absolute against that URL.
        headers["content-location"] = urljoin(response.url, headers.get("content-location", ""))
        validators = Validators(
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
        return Document(
            content=content, url=response.url, headers=headers, validators=validators, notes=notes
        )


def _read_body(response: requests.Response, read_timeout: float, deadline: float) -> bytes:
    """The body, refusing documents that are huge or that trickle in forever.

    The read timeout bounds each wait for bytes; ``deadline`` (seconds) bounds the whole
    download. Each read returns what one socket read gave, so a server that sends a byte
    now and then is cut off at the deadline (plus at most one read timeout), not after
    a chunk that never fills.
    """
    ends = time.monotonic() + deadline
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = response.raw.read1(READ_SIZE, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BYTES:
                raise SourceError(
                    f"{response.url} is larger than {MAX_BYTES // (1024 * 1024)} MB; not a feed?"
                )
            if time.monotonic() > ends:
                raise SourceError(
                    f"{response.url} took longer than {deadline:g} s to download "
                    f"({size} bytes by then)",
                    hint="the server sends its answer very slowly; it is tried again on the "
                    "next run (collect.download_timeout sets the limit)",
                )
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as err:
        raise SourceError(
            f"timed out after {read_timeout:g} s reading {response.url}",
            hint="the server is slow or down; raise timeout_seconds if it is just slow",
        ) from err
    except urllib3.exceptions.DecodeError as err:
        encoding = response.headers.get("Content-Encoding", "compressed")
        raise SourceError(
            f"{response.url} sent a broken {encoding} body (Content-Encoding: {encoding})",
            hint="the server's compression is misconfigured; tell its administrator",
        ) from err
    except urllib3.exceptions.ProtocolError as err:
        expected = response.headers.get("Content-Length")
        if _is_incomplete(err):
            of = f" of {expected}" if expected else ""
            raise SourceError(
                f"the connection to {urlsplit(response.url).netloc} closed before the whole "
                f"body arrived ({size} bytes{of}) reading {response.url}",
                hint="the server broke off its answer; it is tried again on the next run",
            ) from err
        raise SourceError(f"reading {response.url} failed: {_reason(err)}") from err
    except (urllib3.exceptions.HTTPError, OSError) as err:
        raise SourceError(f"reading {response.url} failed: {_reason(err)}") from err
    return b"".join(chunks)


def _is_incomplete(err: BaseException) -> bool:
    """Whether a protocol error is a body cut short (http.client's IncompleteRead)."""
    return "IncompleteRead" in repr(err)


def _redirect_notes(response: requests.Response) -> tuple[str, ...]:
    for earlier in response.history:
        if earlier.status_code in (301, 308):
            return (f"moved permanently to {response.url}; update the source's url in the config",)
    return ()


def _status_hint(status: int) -> str | None:
    if status in (401, 403):
        return "the server refuses access; the feed may need a login or block robots"
    if status in (404, 410):
        return "the feed is not at this URL (any more); check the source's url"
    if status >= 500:
        return "the server has a problem; it is retried on the next run"
    return None


def _reason(err: Exception) -> str:
    """A short reason for a failed connection; requests nests urllib3's text deeply."""
    text = str(err)
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if "refused" in text.lower():
        return "connection refused"
    if "Name or service not known" in text or "getaddrinfo" in text:
        return "unknown host name"
    return text[:300]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
