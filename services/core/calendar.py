"""Working days on the official Chinese calendar (holidays and swapped workdays).

``chinese_calendar`` knows the State Council's schedule for the years it ships
(2004–2026 in 1.11); outside them Monday–Friday counts as a working day. Every
duration in the colour rule is ``workdays_between(a, b)``: the number of working
days in the half-open range ``(a, b]``. It is computed from a cumulative index
built once, so it costs two lookups however far apart the dates are.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


def _weekdays_upto(d: date) -> int:
    """Mon–Fri days in [0001-01-01, d] (0001-01-01 was a Monday)."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@lru_cache(maxsize=1)
def _table() -> tuple[date, date, list[int]]:
    """Cumulative working-day counts for every date the calendar knows."""
    years = sorted(
        y
        for y in {d.year for d in chinese_calendar.holidays}
        | {d.year for d in chinese_calendar.workdays}
    )
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    counts: list[int] = []
    n = 0
    day = first
    while day <= last:
        if chinese_calendar.is_workday(day):
            n += 1
        counts.append(n)
        day += timedelta(days=1)
    return first, last, counts


def workday_index(d: date) -> int:
    """A monotonic index that grows by one on each working day (and stays put otherwise)."""
    first, last, counts = _table()
    if d < first:
        return _weekdays_upto(d) - _weekdays_upto(first - timedelta(days=1))
    if d > last:
        return counts[-1] + _weekdays_upto(d) - _weekdays_upto(last)
    return counts[(d - first).days]


def is_workday(d: date) -> bool:
    return workday_index(d) != workday_index(d - timedelta(days=1))


def workdays_between(a: date, b: date) -> int:
    """Working days in ``(a, b]``; negative when ``b`` is before ``a``."""
    return workday_index(b) - workday_index(a)


def add_workdays(d: date, n: int) -> date:
    """The date of the ``n``-th working day after ``d`` (``n`` >= 1)."""
    target = workday_index(d) + n
    step = max(n, 1)
    hi = d + timedelta(days=step)
    while workday_index(hi) < target:
        step *= 2
        hi = d + timedelta(days=step)
    lo = d  # workday_index(lo) < target <= workday_index(hi)
    while (hi - lo).days > 1:
        mid = lo + timedelta(days=(hi - lo).days // 2)
        if workday_index(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi
