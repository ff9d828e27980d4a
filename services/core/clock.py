"""The one clock and timezone every service reads.

``now()`` is the current instant (UTC-aware). Demo and training districts start it at
a fixed instant (``CLOCK_AT``) and let it run on in real time; tests move it with
``set_clock``. ``today()`` is the date in the district's timezone (settings'
``timezone``, Asia/Shanghai by default).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.core.settings import get_settings


@lru_cache(maxsize=1)
def local_tz() -> ZoneInfo:
    """The district's timezone, from settings."""
    return ZoneInfo(get_settings().timezone)


def system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = system_clock


def now() -> datetime:
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the system clock)."""
    global _clock
    _clock = clock or system_clock


def simulated_clock(clock_at: str) -> Callable[[], datetime]:
    """A clock that reads ``clock_at`` now and runs on in real time (demo districts)."""
    start = datetime.fromisoformat(clock_at)
    if start.tzinfo is None:
        start = start.replace(tzinfo=local_tz())
    offset = start - system_clock()
    return lambda: system_clock() + offset


def local_date(t: datetime) -> date:
    """The calendar date of instant ``t`` in the district's timezone."""
    return t.astimezone(local_tz()).date()


def today() -> date:
    return local_date(now())
