"""SQL for the evaluation schema."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def insert_entry(
    conn: asyncpg.Connection,
    person_id: UUID,
    item_id: UUID | None,
    event_id: UUID,
    rule: str,
    points: float,
    explanation: str,
    occurred_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO ledger_entries (person_id, item_id, event_id, rule, points, explanation,"
        " occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
        person_id,
        item_id,
        event_id,
        rule,
        points,
        explanation,
        occurred_at,
    )


async def list_scores_by_person_ids(
    conn: asyncpg.Connection, ids: list[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT person_id, sum(points)::float AS score, count(*) AS entries"
        " FROM ledger_entries WHERE person_id = ANY($1::uuid[]) GROUP BY person_id",
        ids,
    )
