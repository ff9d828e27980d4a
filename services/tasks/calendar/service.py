"""Use-cases of the office's calendar: set a year, import a file. Each change is one
transaction: the year's rows, an audit entry, and a ``tasks.calendar.changed`` event
(alerts and evaluation project it); then this replica re-loads its calendar."""

from __future__ import annotations

from datetime import date

import asyncpg

from services.contracts import tasks as ev
from services.core import calendar_store
from services.core.auth import Principal, Role
from services.core.calendar import Year
from services.core.errors import Forbidden
from services.core.outbox import record_event
from services.tasks.audit.service import append_audit
from services.tasks.calendar import domain
from services.tasks.transaction import Db, transaction


def _require_office(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以维护工作日历")


async def _set_year(
    conn: asyncpg.Connection,
    principal: Principal,
    year: int,
    days: dict[date, tuple[str, str]],
    source: str,
) -> Year:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", 7_000_000 + year)
    before = await calendar_store.year(conn, year)
    saved = Year(year, days, source, (before.version if before else 0) + 1)
    await calendar_store.replace_year(conn, saved)
    await append_audit(
        conn,
        actor_id=principal.subject,
        action="calendar.year_set",
        subject_type="calendar",
        subject_id=str(year),
        before=(
            {
                "source": before.source,
                "version": before.version,
                **domain.summary(dict(before.days)),
            }
            if before
            else None
        ),
        after={"source": source, "version": saved.version, **domain.summary(days)},
    )
    event = ev.CalendarChanged(
        year=year,
        revision=saved.version,
        source=source,
        days=[ev.CalendarDay(day=d, kind=k, name=n) for d, (k, n) in sorted(days.items())],
    )
    await record_event(conn, event.envelope(f"calendar:{year}", saved.version))
    return saved


async def set_year(db: Db, principal: Principal, year: int, days: list[domain.Day]) -> Year:
    """Replace one year's holidays and make-up workdays (督查办)."""
    _require_office(principal)
    checked = domain.check_days(year, days)
    async with transaction(db) as conn:
        saved = await _set_year(conn, principal, year, checked, "office")
        await calendar_store.load(conn)
    return saved


async def import_file(db: Db, principal: Principal, content: bytes) -> list[Year]:
    """Import a CSV of days (see ``domain.parse_csv``); every year in it, or none."""
    _require_office(principal)
    by_year = domain.parse_csv(domain.decode_text(content))
    async with transaction(db) as conn:
        saved = [
            await _set_year(conn, principal, y, domain.check_days(y, days), "import")
            for y, days in sorted(by_year.items())
        ]
        await calendar_store.load(conn)
    return saved


async def get_year(db: Db, year: int) -> Year | None:
    async with transaction(db) as conn:
        return await calendar_store.year(conn, year)
