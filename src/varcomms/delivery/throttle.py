"""A messages-per-second limit shared by the send loop's workers."""

from __future__ import annotations

import threading

from varcomms.clock import Clock


class RateLimiter:
    """Spaces batches so the average rate stays at ``rate`` messages per second.

    A batch of n messages may leave when the previous ones' share of time has passed;
    waiting goes through the clock, so tests with a fake clock never sleep.
    """

    def __init__(self, rate: float, clock: Clock) -> None:
        self.rate = rate
        self.clock = clock
        self._lock = threading.Lock()
        self._next: float | None = None

    def acquire(self, messages: int) -> float:
        """Wait until ``messages`` may go; returns the seconds waited."""
        with self._lock:
            now = self.clock.now().timestamp()
            start = now if self._next is None else max(now, self._next)
            self._next = start + messages / self.rate
        wait = start - now
        if wait > 0:
            self.clock.sleep(wait)
        return wait
