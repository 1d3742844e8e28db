"""Check that links resolve: HEAD first, GET when a server refuses HEAD, concurrently
(with a limit per host, since most links of an edition point at one website).

Each URL is checked once however often it occurs. A 4xx/5xx answer or a failed
connection means the link does not resolve; a timeout is reported separately, since a
slow server is not necessarily a broken link. Only public addresses are ever asked (see
:mod:`varcomms.editions.addresses`); a link to a local or private one is reported as
such, without a request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import requests

from varcomms.editions.addresses import AddressPolicy, GuardedAdapter, blocked_reason, is_public

LinkOutcome = Literal["ok", "broken", "timeout", "private"]
# Servers that answer HEAD with these often serve GET fine.
_RETRY_WITH_GET = {403, 405, 501}


@dataclass(frozen=True)
class LinkResult:
    url: str
    outcome: LinkOutcome
    status: int | None = None
    detail: str = ""


class _HostLimits:
    """At most ``per_host`` requests in flight to one host: be polite to the website."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.lock = threading.Lock()
        self.slots: dict[str, threading.Semaphore] = {}

    def slot(self, url: str) -> threading.Semaphore:
        host = urlsplit(url).netloc.lower()
        with self.lock:
            return self.slots.setdefault(host, threading.Semaphore(self.per_host))


def _check_one(
    session: requests.Session, url: str, timeout: tuple[float, float], limits: _HostLimits
) -> LinkResult:
    with limits.slot(url):
        return _request(session, url, timeout)


def _request(session: requests.Session, url: str, timeout: tuple[float, float]) -> LinkResult:
    try:
        response = session.head(url, timeout=timeout, allow_redirects=True)
        if response.status_code in _RETRY_WITH_GET:
            response.close()
            response = session.get(url, timeout=timeout, allow_redirects=True, stream=True)
        status = response.status_code
        response.close()
    except requests.Timeout:
        return LinkResult(url, "timeout", detail=f"no answer within {timeout[1]:g} s")
    except requests.RequestException as err:
        refused = blocked_reason(err)
        if refused is not None:
            return LinkResult(url, "private", detail=refused)
        return LinkResult(url, "broken", detail=type(err).__name__)
    if status >= 400:
        return LinkResult(url, "broken", status=status, detail=f"HTTP {status}")
    return LinkResult(url, "ok", status=status)


def check_links(
    urls: Iterable[str],
    *,
    timeout: float = 10.0,
    connect_timeout: float = 5.0,
    concurrency: int = 8,
    per_host: int = 4,
    user_agent: str = "varcomms",
    session_factory: Callable[[], requests.Session] = requests.Session,
    allow: AddressPolicy = is_public,
) -> dict[str, LinkResult]:
    """Every distinct http(s) URL checked once; results keyed by URL.

    ``allow`` decides which resolved addresses may be connected to (public ones; tests
    pass a policy that admits their loopback server).
    """
    unique = sorted({url for url in urls if url.lower().startswith(("http://", "https://"))})
    if not unique:
        return {}
    session = session_factory()
    session.headers["User-Agent"] = user_agent
    # No proxies from the environment: the address check must see the real target.
    session.trust_env = False
    timeouts = (connect_timeout, timeout)
    hosts = _HostLimits(per_host)
    adapter = GuardedAdapter(allow, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(unique))) as pool:
            results = pool.map(lambda url: _check_one(session, url, timeouts, hosts), unique)
            return {result.url: result for result in results}
    finally:
        session.close()
