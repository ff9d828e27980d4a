"""The one clock and timezone every service reads.

``now()`` is the current instant (UTC-aware). Demo and training districts start it at
a fixed instant (``CLOCK_AT``) and let it run on in real time; tests move it with
``set_clock``. ``today()`` is the date in the district's timezone (settings'
``timezone``, Asia/Shanghai by default).

``install(settings)`` is called once per process (the app factory for every service,
the command line for every command, so the rebuilds too): with ``CLOCK_AT`` set, the
clock reads ``CLOCK_AT`` at the real instant ``CLOCK_ANCHOR`` (default: the moment it is
installed). ``ducha run`` gives all three services the same anchor, so their clocks
agree to the millisecond however far apart the processes started (ADR 0016).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.core.settings import Settings, get_settings

_tz_name: str | None = None


@lru_cache(maxsize=1)
def local_tz() -> ZoneInfo:
    """The district's timezone, from settings."""
    return ZoneInfo(_tz_name or get_settings().timezone)


def system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = system_clock


def now() -> datetime:
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the system clock)."""
    global _clock
    _clock = clock or system_clock


def _instant(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo is not None else t.replace(tzinfo=local_tz())


def simulated_clock(clock_at: str, anchor: str = "") -> Callable[[], datetime]:
    """A clock that reads ``clock_at`` at the real instant ``anchor`` (default: now) and
    runs on in real time (demo and training districts)."""
    start = _instant(clock_at)
    offset = start - (_instant(anchor) if anchor else system_clock())
    return lambda: system_clock() + offset


def install(settings: Settings) -> None:
    """Use ``settings``' timezone, and its ``CLOCK_AT`` if set (an unset one leaves the
    clock alone, so a test's or a wrapper's clock stays)."""
    global _tz_name
    if settings.timezone != _tz_name:
        _tz_name = settings.timezone
        local_tz.cache_clear()
    if settings.clock_at:
        set_clock(simulated_clock(settings.clock_at, settings.clock_anchor))


def local_date(t: datetime) -> date:
    """The calendar date of instant ``t`` in the district's timezone."""
    return t.astimezone(local_tz()).date()


def today() -> date:
    return local_date(now())
