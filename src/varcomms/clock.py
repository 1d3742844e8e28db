"""Time as a dependency, so tests control it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol

from varcomms.errors import InputError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait; a fake clock only advances."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(seconds)


class ShiftedClock:
    """Real time, moved to another starting point: the demo lives in its sample period."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(seconds)


def shifted_to(today: str, tz: tzinfo, *, source: str = "--today") -> ShiftedClock:
    """A clock whose "now" starts on ``today`` and runs on from there.

    ``today`` is a date (``2022-02-01``: that day at the current local time of day, so
    "today" moves but the hours stay real) or a full ISO date-time with or without an
    offset (naive times are read in ``tz``). Used by ``--today`` / ``VARCOMMS_TODAY`` to
    run the whole tool inside a period, e.g. the samples' early 2022.
    """
    text = today.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, datetime.now(tz).timetz())
        else:
            start = datetime.fromisoformat(text)
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz)
    except ValueError:
        raise InputError(
            f"{source}: {today!r} is not a date",
            hint="write it as YYYY-MM-DD (e.g. 2022-02-01) or an ISO date-time",
        ) from None
    return ShiftedClock(start)


class FakeClock:
    """A clock for tests: time moves only when told to, sleeping advances it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._now += timedelta(seconds=seconds)

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)
