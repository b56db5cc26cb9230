"""When stakeholders must next hear from us, as a pure function of the stored deadline.

The countdown is never counted in ticks (timers drop ticks when the loop is
busy): every tick asks :func:`countdown` afresh with the clock's ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from warroom.clock import parse_time

Phase = Literal["off", "calm", "warning", "overdue"]


@dataclass(frozen=True, slots=True)
class Countdown:
    phase: Phase
    #: Seconds left (calm, warning) or seconds late (overdue); 0 when off.
    seconds: int

    @property
    def clock_text(self) -> str:
        if self.phase == "off":
            return "--:--"
        minutes, seconds = divmod(self.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        body = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
        return f"+{body}" if self.phase == "overdue" else body


def countdown(deadline: str | None, now: datetime, warning_minutes: int) -> Countdown:
    if deadline is None:
        return Countdown("off", 0)
    left = int((parse_time(deadline) - now).total_seconds())
    if left < 0:
        return Countdown("overdue", -left)
    if left <= warning_minutes * 60:
        return Countdown("warning", left)
    return Countdown("calm", left)
