"""Working days on the district's calendar: the office's data, official holidays included.

The calendar is a set of years, each with its exceptions to Monday–Friday: holidays
(休, a weekday off) and make-up workdays (班, a weekend day worked). The office owns it
(tasks keeps it, alerts and evaluation project it, ADR 0016); until a service loads it
from its database, the years ``chinese_calendar`` ships (2004–2026 in 1.11) are used.

Outside the covered years Monday–Friday counts: the services do not guess, they say so
(``coverage``: a readiness warning, a metric and ``calendarCoverage`` in the API from
``WARNING_DAYS`` before the last covered day).

Every duration in the colour rule is ``workdays_between(a, b)``: the number of working
days in the half-open range ``(a, b]``. It is computed from a cumulative index built
once per calendar (rebuilt when the data changes), so it costs two look-ups however far
apart the dates are; the functions are called per item in the colour sweep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

HOLIDAY = "HOLIDAY"
WORKDAY = "WORKDAY"
WARNING_DAYS = 60


def _weekdays_upto(d: date) -> int:
    """Mon–Fri days in [0001-01-01, d] (0001-01-01 was a Monday)."""
    weeks, rest = divmod(d.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


@dataclass(frozen=True)
class Year:
    """One year's exceptions to Monday–Friday: day -> (HOLIDAY | WORKDAY, name)."""

    year: int
    days: Mapping[date, tuple[str, str]] = field(default_factory=dict)
    source: str = "office"
    version: int = 0


class Calendar:
    """The covered years and a cumulative working-day index over them."""

    def __init__(self, years: Mapping[int, Year]) -> None:
        self.years = dict(sorted(years.items()))
        if not self.years:
            self.first = self.last = None
            self.counts: list[int] = []
            return
        self.first = date(min(self.years), 1, 1)
        self.last = date(max(self.years), 12, 31)
        exceptions = {d: kind for y in self.years.values() for d, (kind, _) in y.days.items()}
        counts = []
        n = 0
        day = self.first
        while day <= self.last:
            kind = exceptions.get(day) if day.year in self.years else None
            if kind == WORKDAY or (kind is None and day.weekday() < 5):
                n += 1
            counts.append(n)
            day += timedelta(days=1)
        self.counts = counts

    @property
    def last_year(self) -> int | None:
        return max(self.years) if self.years else None

    def covers(self, d: date) -> bool:
        return d.year in self.years

    def index(self, d: date) -> int:
        first, last = self.first, self.last
        if first is None or last is None:
            return _weekdays_upto(d)
        if d < first:
            return _weekdays_upto(d) - _weekdays_upto(first - timedelta(days=1))
        if d > last:
            return self.counts[-1] + _weekdays_upto(d) - _weekdays_upto(last)
        return self.counts[(d - first).days]


@lru_cache(maxsize=1)
def official_years() -> dict[int, Year]:
    """The State Council schedules ``chinese_calendar`` ships, as calendar years."""
    import chinese_calendar

    days: dict[int, dict[date, tuple[str, str]]] = {}
    for d, name in chinese_calendar.holidays.items():
        days.setdefault(d.year, {})[d] = (HOLIDAY, str(name))
    for d, name in chinese_calendar.workdays.items():
        days.setdefault(d.year, {})[d] = (WORKDAY, str(name))
    return {y: Year(y, dd, "chinese_calendar", 0) for y, dd in days.items()}


_current: Calendar | None = None


def current() -> Calendar:
    global _current
    if _current is None:
        _current = Calendar(official_years())
    return _current


def install(calendar: Calendar) -> None:
    """Use ``calendar`` from now on (a service loads the office's data into it)."""
    global _current
    _current = calendar


def reset() -> None:
    """Back to the shipped official schedules (tests)."""
    install(Calendar(official_years()))


def workday_index(d: date) -> int:
    """A monotonic index that grows by one on each working day (and stays put otherwise)."""
    return current().index(d)


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


@dataclass(frozen=True)
class Coverage:
    """How far the calendar reaches from ``today``; ``warning`` from 60 days before."""

    last_year: int | None
    days_left: int
    warning: str | None


def coverage(today: date, calendar: Calendar | None = None) -> Coverage:
    cal = calendar or current()
    last_year = cal.last_year
    if last_year is None:
        return Coverage(None, 0, "工作日历没有任何年度的放假安排, 按周一至周五计算工作日")
    days_left = (date(last_year, 12, 31) - today).days
    warning = None
    if days_left < 0:
        warning = (
            f"工作日历只到 {last_year} 年, 今天起按周一至周五计算工作日;"
            f" 请督查办录入或导入 {today.year} 年的放假安排"
        )
    elif days_left <= WARNING_DAYS:
        warning = (
            f"工作日历只到 {last_year} 年, 还剩 {days_left} 天;"
            f" 请督查办录入或导入 {last_year + 1} 年的放假安排"
        )
    return Coverage(last_year, days_left, warning)
