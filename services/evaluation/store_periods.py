"""SQL for settings (versioned rule sets), periods, period scores and office inputs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


async def rule_set_at(conn: asyncpg.Connection, kind: str, at: datetime) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT version, body, created_at, effective_from, created_by FROM rule_sets"
        " WHERE kind = $1 AND effective_from <= $2 ORDER BY version DESC LIMIT 1",
        kind,
        at,
    )


async def latest_rule_set(conn: asyncpg.Connection, kind: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT version, body, created_at, effective_from, created_by FROM rule_sets"
        " WHERE kind = $1 ORDER BY version DESC LIMIT 1",
        kind,
    )


async def insert_rule_set(
    conn: asyncpg.Connection, kind: str, body: Any, effective_from: datetime, by: str
) -> asyncpg.Record:
    await conn.execute("LOCK TABLE rule_sets IN SHARE ROW EXCLUSIVE MODE")
    row = await conn.fetchrow(
        "INSERT INTO rule_sets (kind, version, body, effective_from, created_by)"
        " SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM rule_sets WHERE kind = $1"
        " RETURNING version, body, created_at, effective_from, created_by",
        kind,
        body,
        effective_from,
        by,
    )
    assert row is not None
    return row


async def lock_periods(conn: asyncpg.Connection) -> None:
    await conn.execute("LOCK TABLE periods IN SHARE ROW EXCLUSIVE MODE")


async def list_periods(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM periods ORDER BY starts_on, kind")


async def get_period(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM periods WHERE id = $1", period_id)


async def previous_periods(
    conn: asyncpg.Connection, kind: str, before: date, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM periods WHERE kind = $1 AND ends_on < $2 ORDER BY ends_on DESC LIMIT $3",
        kind,
        before,
        limit,
    )


async def insert_period(
    conn: asyncpg.Connection, pid: UUID, kind: str, name: str, starts_on: date, ends_on: date
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO periods (id, kind, name, starts_on, ends_on) VALUES ($1,$2,$3,$4,$5)"
        " RETURNING *",
        pid,
        kind,
        name,
        starts_on,
        ends_on,
    )
    assert row is not None
    return row


async def mark_closed(conn: asyncpg.Connection, period_id: UUID, at: datetime) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE periods SET state = 'CLOSED', closed_at = $2 WHERE id = $1 RETURNING *",
        period_id,
        at,
    )
    assert row is not None
    return row


async def live_person_scores(
    conn: asyncpg.Connection, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    """Cadres (CADRE role, or anyone with entries in the window) with their window totals."""
    return await conn.fetch(
        "WITH s AS (SELECT person_id, sum(points) AS score, count(*) AS n,"
        "  array_remove(array_agg(DISTINCT item_id) FILTER (WHERE rule = 'COLOUR_RED'"
        "   AND item_id NOT IN (SELECT item_id FROM exemptions WHERE state = 'APPROVED')),"
        "   NULL) AS reds"
        "  FROM ledger_entries WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY person_id)"
        " SELECT coalesce(p.id, s.person_id) AS person_id, coalesce(p.rank, '未定级') AS grp,"
        "  round(coalesce(s.score, 0), 2)::float AS score, coalesce(s.n, 0)::int AS entries,"
        "  coalesce(s.reds, '{}') AS reds"
        " FROM people p FULL JOIN s ON s.person_id = p.id"
        " WHERE s.person_id IS NOT NULL OR ('CADRE' = ANY(p.roles) AND p.active)",
        start,
        end,
    )


async def frozen_person_scores(conn: asyncpg.Connection, period_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT person_id, rank_group AS grp, score::float AS score, entries, rank,"
        " rank_in_group, normalised::float AS normalised, composite::float AS composite,"
        " red_items FROM period_person_scores WHERE period_id = $1 ORDER BY rank, person_id",
        period_id,
    )


async def save_person_scores(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    await conn.executemany(
        "INSERT INTO period_person_scores (period_id, person_id, rank_group, score, entries,"
        " rank, rank_in_group, normalised, composite, red_items)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        rows,
    )


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


async def upsert_component(
    conn: asyncpg.Connection, period_id: UUID, person_id: UUID, component: str, value: float
) -> None:
    await conn.execute(
        "INSERT INTO selection_components (period_id, person_id, component, value)"
        " VALUES ($1,$2,$3,$4) ON CONFLICT (period_id, person_id, component)"
        " DO UPDATE SET value = EXCLUDED.value",
        period_id,
        person_id,
        component,
        value,
    )


async def components(conn: asyncpg.Connection, period_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT person_id, component, value::float AS value FROM selection_components"
        " WHERE period_id = $1",
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


async def replace_flags(
    conn: asyncpg.Connection, period_id: UUID, rows: list[tuple[Any, ...]]
) -> None:
    await conn.execute("DELETE FROM flags WHERE period_id = $1", period_id)
    await conn.executemany(
        "INSERT INTO flags (period_id, person_id, rule_code, direction, evidence)"
        " VALUES ($1,$2,$3,$4,$5)",
        rows,
    )


async def list_flags(
    conn: asyncpg.Connection, period_id: UUID | None, person_ids: list[UUID] | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT f.*, p.name AS period_name FROM flags f JOIN periods p ON p.id = f.period_id"
        " WHERE ($1::uuid IS NULL OR f.period_id = $1)"
        " AND ($2::uuid[] IS NULL OR f.person_id = ANY($2)) ORDER BY f.period_id, f.rule_code,"
        " f.person_id",
        period_id,
        person_ids,
    )


async def insert_commendation(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO commendations (id, person_id, item_id, kind, points, reason, recorded_by,"
        " occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        row["id"],
        row["person_id"],
        row["item_id"],
        row["kind"],
        row["points"],
        row["reason"],
        row["recorded_by"],
        row["occurred_at"],
    )


async def list_commendations(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM commendations ORDER BY occurred_at, id")
