"""SQL for the unit evaluation: facts of a period, frozen scores, surveys and vetoes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


async def save_unit_scores(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        "INSERT INTO period_unit_scores (period_id, unit_id, category, body, total, rank)"
        " VALUES ($1,$2,$3,$4,$5,$6)",
        rows,
    )


async def frozen_unit_scores(conn: asyncpg.Connection, period_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT unit_id, category, body, total::float AS total, rank FROM period_unit_scores"
        " WHERE period_id = $1 ORDER BY category, rank, unit_id",
        period_id,
    )


async def unit_facts(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    starts_on: date,
    ends_on: date,
    co_share: float,
    period_id: UUID,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "WITH f AS (SELECT iu.unit_id, i.importance, i.difficulty, iu.role, iu.outcome,"
        "  i.verifications_passed, i.verifications_disputed, i.original_deadline, i.state,"
        "  (i.state <> 'CANCELLED' AND coalesce(i.created_at, $1) < $2"
        "   AND (i.completed_at IS NULL OR i.completed_at >= $1)) AS active"
        "  FROM item_units iu JOIN items i ON i.id = iu.item_id)"
        " SELECT u.id AS unit_id, u.category, u.name,"
        "  coalesce(sum(f.importance * f.difficulty * CASE WHEN f.role = 'LEAD' THEN 1"
        "   ELSE $5 END) FILTER (WHERE f.active), 0)::float AS workload,"
        "  count(f.unit_id) FILTER (WHERE f.active)::int AS items,"
        "  coalesce(sum(f.difficulty) FILTER (WHERE f.active), 0)::float AS difficulty_sum,"
        "  count(f.unit_id) FILTER (WHERE f.state <> 'CANCELLED'"
        "   AND f.original_deadline BETWEEN $3 AND $4)::int AS due,"
        "  count(f.unit_id) FILTER (WHERE f.state <> 'CANCELLED'"
        "   AND f.original_deadline BETWEEN $3 AND $4 AND f.outcome = 'ON_TIME')::int AS on_time,"
        "  coalesce(sum(f.verifications_passed) FILTER (WHERE f.active), 0)::int AS verified,"
        "  coalesce(sum(f.verifications_disputed) FILTER (WHERE f.active), 0)::int AS disputed,"
        "  (SELECT score::float FROM unit_surveys s WHERE s.period_id = $6"
        "   AND s.unit_id = u.id) AS satisfaction,"
        "  (SELECT reason FROM unit_vetoes v WHERE v.period_id = $6 AND v.unit_id = u.id)"
        "   AS veto_reason"
        " FROM units u LEFT JOIN f ON f.unit_id = u.id GROUP BY u.id ORDER BY u.id",
        start,
        end,
        starts_on,
        ends_on,
        co_share,
        period_id,
    )


async def upsert_survey(
    conn: asyncpg.Connection, period_id: UUID, unit_id: UUID, score: float
) -> None:
    await conn.execute(
        "INSERT INTO unit_surveys (period_id, unit_id, score) VALUES ($1,$2,$3)"
        " ON CONFLICT (period_id, unit_id) DO UPDATE SET score = EXCLUDED.score",
        period_id,
        unit_id,
        score,
    )


async def upsert_veto(
    conn: asyncpg.Connection, period_id: UUID, unit_id: UUID, reason: str, by: str
) -> None:
    await conn.execute(
        "INSERT INTO unit_vetoes (period_id, unit_id, reason, recorded_by) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (period_id, unit_id) DO UPDATE SET reason = EXCLUDED.reason,"
        " recorded_by = EXCLUDED.recorded_by, recorded_at = now()",
        period_id,
        unit_id,
        reason,
        by,
    )


async def unit_exists(conn: asyncpg.Connection, unit_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM units WHERE id = $1", unit_id))
