"""SQL for periods, their frozen cadre scores and the selection components."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


async def lock_periods(conn: asyncpg.Connection) -> None:
    await conn.execute("LOCK TABLE periods IN SHARE ROW EXCLUSIVE MODE")


async def list_periods(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM periods ORDER BY starts_on, kind")


async def get_period(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM periods WHERE id = $1", period_id)


async def get_period_for_update(conn: asyncpg.Connection, period_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM periods WHERE id = $1 FOR UPDATE", period_id)


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
