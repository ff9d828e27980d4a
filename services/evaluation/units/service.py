"""Use-cases of the unit differentiated evaluation: results of a period, survey, veto."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.core.auth import Principal
from services.core.errors import NotFound, ValidationFailed
from services.evaluation.periods.service import check_score_0_100, require_open_period, window
from services.evaluation.rules.service import current_rule_set
from services.evaluation.units import store
from services.evaluation.units.domain import UnitFacts, UnitResult, evaluate_units


async def unit_results(conn: asyncpg.Connection, period: asyncpg.Record) -> list[UnitResult]:
    if period["state"] == "CLOSED":
        return [
            UnitResult(
                str(r["unit_id"]),
                r["category"],
                r["body"]["workload_score"],
                r["body"]["difficulty_score"],
                r["body"]["effect_score"],
                r["total"],
                r["rank"],
                r["body"]["failed"],
                r["body"]["veto_reason"],
                r["body"]["lines"],
            )
            for r in await store.frozen_unit_scores(conn, period["id"])
        ]
    weights = (await current_rule_set(conn, "UNIT_WEIGHTS")).body
    start, end = window(period["starts_on"], period["ends_on"])
    rows = await store.unit_facts(
        conn,
        start,
        end,
        period["starts_on"],
        period["ends_on"],
        weights["co_unit_share"],
        period["id"],
    )
    facts = [
        UnitFacts(
            str(r["unit_id"]),
            r["category"],
            r["workload"],
            r["items"],
            r["difficulty_sum"],
            r["due"],
            r["on_time"],
            r["verified"],
            r["disputed"],
            r["satisfaction"],
            r["veto_reason"],
        )
        for r in rows
    ]
    return evaluate_units(facts, weights)


async def set_survey(pool: asyncpg.Pool, period_id: UUID, unit_id: UUID, score: float) -> None:
    check_score_0_100(score, "score")
    async with pool.acquire() as conn, conn.transaction():
        await require_open_period(conn, period_id)
        if not await store.unit_exists(conn, unit_id):
            raise NotFound("单位不存在", field="unitId")
        await store.upsert_survey(conn, period_id, unit_id, score)


async def record_veto(
    pool: asyncpg.Pool, principal: Principal, period_id: UUID, unit_id: UUID, reason: str
) -> None:
    if not reason.strip():
        raise ValidationFailed("一票否决须说明理由", field="reason")
    async with pool.acquire() as conn, conn.transaction():
        await require_open_period(conn, period_id)
        if not await store.unit_exists(conn, unit_id):
            raise NotFound("单位不存在", field="unitId")
        await store.upsert_veto(conn, period_id, unit_id, reason.strip(), principal.subject)
