"""Use-cases of periods: creating one, its live or frozen cadre ranking, office inputs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from uuid import UUID

import asyncpg

from services.core import clock
from services.core.errors import InvalidTransition, NotFound, ValidationFailed
from services.evaluation.periods import cache, store
from services.evaluation.periods.cache import invalidate_standings
from services.evaluation.periods.domain import (
    CadreStanding,
    PeriodSpan,
    composite,
    rank_all,
    validate_period,
)
from services.evaluation.rules.service import current_rule_set


def window(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """A period's dates as [start, end) instants, days in the district's timezone."""
    tz = clock.local_tz()
    start = datetime.combine(starts_on, time(), tz).astimezone(UTC)
    end = datetime.combine(ends_on + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


async def create_period(
    pool: asyncpg.Pool, kind: str, name: str, starts_on: date, ends_on: date
) -> asyncpg.Record:
    if not name.strip():
        raise ValidationFailed("请填写考核期名称", field="name")
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_periods(conn)
        existing = [
            (r["name"], PeriodSpan(r["kind"], r["starts_on"], r["ends_on"]))
            for r in await store.list_periods(conn)
        ]
        validate_period(PeriodSpan(kind, starts_on, ends_on), existing)
        return await store.insert_period(conn, uuid.uuid4(), kind, name.strip(), starts_on, ends_on)


async def require_period(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record:
    period = await store.get_period(conn, period_id)
    if period is None:
        raise NotFound("考核期不存在", field="periodId")
    return period


async def cadre_standings(conn: asyncpg.Connection, period: asyncpg.Record) -> list[CadreStanding]:
    """Frozen snapshot of a closed period, else computed live from the ledger (cached briefly)."""
    if period["state"] == "OPEN":
        cached = cache.standings_cache.get(period["id"])
        if cached and cached[0] > monotonic():
            return cached[1]
        standings = await _compute_standings(conn, period)
        cache.standings_cache[period["id"]] = (monotonic() + cache.STANDINGS_TTL_SECONDS, standings)
        return standings
    return await _compute_standings(conn, period)


async def _compute_standings(
    conn: asyncpg.Connection, period: asyncpg.Record
) -> list[CadreStanding]:
    if period["state"] == "CLOSED":
        return [
            CadreStanding(
                str(r["person_id"]),
                r["grp"] or "未定级",
                r["score"],
                r["entries"],
                r["rank"],
                r["rank_in_group"],
                r["normalised"],
                r["composite"],
                r["red_items"],
            )
            for r in await store.frozen_person_scores(conn, period["id"])
        ]
    start, end = window(period["starts_on"], period["ends_on"])
    rows = await store.live_person_scores(conn, start, end)
    by_id = {str(r["person_id"]): r for r in rows}
    ranked = rank_all([(str(r["person_id"]), r["grp"], r["score"]) for r in rows])
    weights = (await current_rule_set(conn, "SELECTION_WEIGHTS")).body
    comps: dict[str, dict[str, float]] = {}
    for c in await store.components(conn, period["id"]):
        comps.setdefault(str(c["person_id"]), {})[c["component"]] = c["value"]
    out = []
    for r in ranked:
        value, lines = composite(r.normalised, comps.get(r.key, {}), weights)
        reds = [str(x) for x in by_id[r.key]["reds"]]
        out.append(
            CadreStanding(
                r.key,
                r.group,
                r.score,
                by_id[r.key]["entries"],
                r.rank,
                r.rank_in_group,
                r.normalised,
                value,
                len(reds),
                reds,
                lines,
            )
        )
    return out


async def require_open_period(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record:
    period = await require_period(conn, period_id)
    if period["state"] != "OPEN":
        raise InvalidTransition(
            "考核期已关闭，不能修改", current_state=period["state"], field="periodId"
        )
    return period


def check_score_0_100(value: float, field_name: str) -> None:
    if not 0 <= value <= 100:
        raise ValidationFailed("分值须在0到100之间", field=field_name)


async def set_component(
    pool: asyncpg.Pool, period_id: UUID, person_id: UUID, component: str, value: float
) -> None:
    check_score_0_100(value, "value")
    async with pool.acquire() as conn, conn.transaction():
        await require_open_period(conn, period_id)
        weights = (await current_rule_set(conn, "SELECTION_WEIGHTS")).body
        if component == "performance" or component not in weights:
            names = ", ".join(k for k in weights if k != "performance")
            raise ValidationFailed(f"未知的选拔组成项(可选: {names})", field="component")
        await store.upsert_component(conn, period_id, person_id, component, value)
    invalidate_standings()
