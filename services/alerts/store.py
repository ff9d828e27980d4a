"""SQL for the alerts schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg


async def upsert_item(
    conn: asyncpg.Connection,
    snapshot: dict[str, Any],
    version: int,
    level: str | None,
    reason: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO items (id, code, title, source, state, start_date, deadline,"
        " original_deadline, lead_unit_id, co_unit_ids, snapshot, version, level, reason,"
        " level_since)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, title = EXCLUDED.title,"
        "  source = EXCLUDED.source, state = EXCLUDED.state, start_date = EXCLUDED.start_date,"
        "  deadline = EXCLUDED.deadline, original_deadline = EXCLUDED.original_deadline,"
        "  lead_unit_id = EXCLUDED.lead_unit_id, co_unit_ids = EXCLUDED.co_unit_ids,"
        "  snapshot = EXCLUDED.snapshot, version = EXCLUDED.version,"
        "  level_since = CASE WHEN items.level IS DISTINCT FROM EXCLUDED.level"
        "                THEN EXCLUDED.level_since ELSE items.level_since END,"
        "  level = EXCLUDED.level, reason = EXCLUDED.reason, updated_at = now()",
        UUID(snapshot["id"]),
        snapshot["code"],
        snapshot["title"],
        snapshot["source"],
        snapshot["state"],
        date.fromisoformat(snapshot["start_date"]),
        date.fromisoformat(snapshot["deadline"]),
        date.fromisoformat(snapshot["original_deadline"]),
        UUID(snapshot["lead_unit_id"]),
        [UUID(u) for u in snapshot.get("co_unit_ids", [])],
        snapshot,
        version,
        level,
        reason,
        now,
    )


async def list_alerts_by_item_ids(
    conn: asyncpg.Connection, ids: list[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, level, reason, level_since FROM items WHERE id = ANY($1::uuid[])", ids
    )


async def count_by_level(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT level, count(*) AS n FROM items WHERE level IS NOT NULL GROUP BY level"
    )
