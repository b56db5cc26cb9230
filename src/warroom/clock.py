"""The one source of "now".

Everything that needs the time takes a :class:`Clock`, so tests can freeze it
and move it across deadlines without sleeping.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol

#: An ISO 8601 time that freezes "now" for a whole process: the command line
#: run by the tests in a subprocess, and reproducible demos and screenshots.
NOW_VARIABLE = "WARROOM_NOW"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | str) -> None:
        self._now = parse_time(start) if isinstance(start, str) else start

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)

    def set(self, when: datetime | str) -> None:
        self._now = parse_time(when) if isinstance(when, str) else when


def system_clock() -> Clock:
    """The clock a process runs on: the system's, or ``WARROOM_NOW`` frozen."""
    frozen = os.environ.get(NOW_VARIABLE)
    if not frozen:
        return SystemClock()
    from warroom.errors import WarroomError

    try:
        clock = FrozenClock(frozen)
    except (ValueError, OverflowError):
        raise WarroomError(f"{NOW_VARIABLE}: not an ISO 8601 time: {frozen!r}") from None
    # Deadlines and due dates are added to "now": year 9999 would overflow them.
    if not 1970 <= clock.now().year <= 2199:
        raise WarroomError(f"{NOW_VARIABLE}: {frozen!r} is not between 1970 and 2199")
    return clock


def format_time(when: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: the one way times are stored and exported."""
    # Not strftime("%Y"): glibc writes year 1 as "1", which nothing parses back.
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def format_duration(seconds: float) -> str:
    """``HH:MM:SS`` (hours grow past 99 rather than wrap)."""
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"
