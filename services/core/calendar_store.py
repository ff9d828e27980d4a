"""The working-day calendar in a service's own schema (core migration 0020, ADR 0016).

tasks keeps the office's calendar in ``calendar_years`` / ``calendar_days``; alerts and
evaluation keep the same tables as a projection of ``tasks.calendar.changed`` (the
handler below). Every service seeds the years ``chinese_calendar`` ships (version 0,
never over a year already there), loads the tables into the in-process index
(``services.core.calendar.install``) at start-up, and every replica re-loads when the
tables change (``refresh_forever``: one cheap query a minute).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date

import asyncpg
from prometheus_client import Gauge

from services.contracts import tasks as tasks_events
from services.core import calendar, clock
from services.core.calendar import Calendar, Coverage, Year
from services.core.consumer import Handler, is_newer
from services.core.events import Envelope, EventContract
from services.core.supervisor import Heartbeat

log = logging.getLogger(__name__)

CALENDAR_LAST_YEAR = Gauge(
    "ducha_calendar_last_year", "Last year with an official working-day schedule"
)
CALENDAR_DAYS_LEFT = Gauge(
    "ducha_calendar_days_left", "Days from today to the end of the last covered year"
)
CALENDAR_WARNING = Gauge(
    "ducha_calendar_warning", "1 when the calendar runs out within 60 days (or already has)"
)

Signature = tuple[int, int]


async def signature(conn: asyncpg.Connection) -> Signature:
    """Changes whenever a year is added, removed or re-versioned."""
    row = await conn.fetchrow(
        "SELECT count(*)::int AS n, coalesce(sum(version + year * 1000), 0)::int AS v"
        " FROM calendar_years"
    )
    assert row is not None
    return row["n"], row["v"]


async def years(conn: asyncpg.Connection) -> dict[int, Year]:
    heads = await conn.fetch("SELECT year, source, version FROM calendar_years")
    days = await conn.fetch("SELECT day, year, kind, name FROM calendar_days")
    by_year: dict[int, dict[date, tuple[str, str]]] = {r["year"]: {} for r in heads}
    for d in days:
        by_year[d["year"]][d["day"]] = (d["kind"], d["name"])
    return {
        r["year"]: Year(r["year"], by_year[r["year"]], r["source"], r["version"]) for r in heads
    }


async def year(conn: asyncpg.Connection, y: int) -> Year | None:
    return (await years(conn)).get(y)


async def replace_year(conn: asyncpg.Connection, y: Year) -> None:
    """Write one year whole (its row and every exception), inside the caller's transaction."""
    await conn.execute(
        "INSERT INTO calendar_years (year, source, version, updated_at) VALUES ($1, $2, $3, now())"
        " ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source,"
        " version = EXCLUDED.version, updated_at = now()",
        y.year,
        y.source,
        y.version,
    )
    await conn.execute("DELETE FROM calendar_days WHERE year = $1", y.year)
    await conn.executemany(
        "INSERT INTO calendar_days (day, year, kind, name) VALUES ($1, $2, $3, $4)",
        [(d, y.year, kind, name) for d, (kind, name) in sorted(y.days.items())],
    )


async def seed(conn: asyncpg.Connection, official: Iterable[Year] | None = None) -> list[int]:
    """Insert the shipped official years that are missing; never touch a year already there."""
    have = {r["year"] for r in await conn.fetch("SELECT year FROM calendar_years")}
    added = []
    async with conn.transaction():
        for y in official if official is not None else calendar.official_years().values():
            if y.year not in have:
                await replace_year(conn, y)
                added.append(y.year)
    return added


def observe(cov: Coverage) -> None:
    CALENDAR_LAST_YEAR.set(cov.last_year or 0)
    CALENDAR_DAYS_LEFT.set(cov.days_left)
    CALENDAR_WARNING.set(1 if cov.warning else 0)


async def load(conn: asyncpg.Connection) -> Signature:
    """Read the tables into the in-process calendar; returns what was loaded."""
    sig = await signature(conn)
    install_years(await years(conn))
    return sig


def install_years(found: dict[int, Year]) -> None:
    calendar.install(Calendar(found))
    observe(calendar.coverage(clock.today()))


async def start(pool: asyncpg.Pool) -> Signature:
    """At start-up: seed the official years, load the calendar."""
    async with pool.acquire() as conn:
        await seed(conn)
        return await load(conn)


async def refresh_forever(
    pool: asyncpg.Pool, loaded: Signature, every: float, hb: Heartbeat | None = None
) -> None:
    """Each replica re-loads when the tables changed (another replica or the consumer)."""
    while True:
        if hb is not None:
            hb.beat(every * 2 + 30)
        await asyncio.sleep(every)
        try:
            async with pool.acquire() as conn:
                if await signature(conn) != loaded:
                    loaded = await load(conn)
                    log.info("working-day calendar re-loaded")
            observe(calendar.coverage(clock.today()))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("calendar refresh failed")


def year_from_event(event: tasks_events.CalendarChanged) -> Year:
    return Year(
        event.year,
        {d.day: (d.kind, d.name) for d in event.days},
        event.source,
        event.revision,
    )


def changed_handler(
    after: Callable[[asyncpg.Connection, int], Awaitable[None]] | None = None,
) -> Handler:
    """The projection of ``tasks.calendar.changed`` every consuming service uses;
    ``after(conn, year)`` lets a service react (alerts re-colours)."""

    async def on_calendar_changed(
        conn: asyncpg.Connection, env: Envelope, event: EventContract
    ) -> None:
        assert isinstance(event, tasks_events.CalendarChanged)
        if not await is_newer(conn, env):
            return
        await replace_year(conn, year_from_event(event))
        if after is not None:
            await after(conn, event.year)
        await load(conn)  # this replica at once (inside the transaction: sees its own write)

    return on_calendar_changed
