"""SQL for up/down flags."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


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
