"""Business-day arithmetic for the review meeting: weekends and playbook holidays skipped.

The playbook says "schedule a review within two business days", so the review
date is proposed, not computed by a calendar library: counting days forward and
skipping Saturdays, Sundays and the team's holidays is all it takes, and it
stays exact across month and year ends because it steps through real dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from warroom.clock import parse_time

#: ``date.weekday()`` of Saturday and Sunday.
WEEKEND = frozenset({5, 6})
#: Enough to step over any real run of holidays; guards a playbook that lists every day.
MAX_STEPS = 3660


def holiday_set(holidays: Iterable[str | date]) -> frozenset[date]:
    """The playbook's holidays (ISO ``YYYY-MM-DD`` strings or dates) as dates."""
    return frozenset(h if isinstance(h, date) else date.fromisoformat(h) for h in holidays)


def is_business_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() not in WEEKEND and day not in holidays


def add_business_days(start: date, days: int, holidays: Iterable[str | date] = ()) -> date:
    """The date ``days`` business days after ``start``.

    ``start`` itself never counts (resolving on a Friday and adding one gives
    Monday). With ``days == 0`` the answer is ``start`` if it is a business day,
    else the next one: a meeting cannot be proposed on a weekend or a holiday.
    """
    if days < 0:
        raise ValueError("days must be zero or more")
    off = holiday_set(holidays)
    day = start
    if days == 0:
        steps = 0
        while not is_business_day(day, off):
            day += timedelta(days=1)
            steps += 1
            if steps > MAX_STEPS:
                raise ValueError("no business day within ten years: check the holidays")
        return day
    counted = 0
    steps = 0
    while counted < days:
        day += timedelta(days=1)
        steps += 1
        if steps > MAX_STEPS:
            raise ValueError("no business day within ten years: check the holidays")
        if is_business_day(day, off):
            counted += 1
    return day


def propose_review_date(
    resolved_at: str | datetime | date,
    within_business_days: int,
    holidays: Iterable[str | date] = (),
) -> date:
    """The review meeting's proposed date: resolution (UTC date) + N business days."""
    if isinstance(resolved_at, str):
        resolved_at = parse_time(resolved_at)
    if isinstance(resolved_at, datetime):
        resolved_at = resolved_at.date()
    return add_business_days(resolved_at, within_business_days, holidays)
