"""SQL of the rule settings: one versioned row per change, per source (or DEFAULT)."""

from __future__ import annotations

import asyncpg


async def list_current_rules(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The newest settings row of every source (including DEFAULT)."""
    return await conn.fetch(
        "SELECT DISTINCT ON (source) version, source, lag_tolerance, stall_cycles, created_at,"
        " created_by FROM rule_settings ORDER BY source, version DESC"
    )


async def get_rules_for_source(conn: asyncpg.Connection, source: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT version, source, lag_tolerance, stall_cycles FROM rule_settings"
        " WHERE source = $1 OR source = 'DEFAULT'"
        " ORDER BY (source = 'DEFAULT'), version DESC LIMIT 1",
        source,
    )


async def insert_rules(
    conn: asyncpg.Connection, source: str, lag_tolerance: int, stall_cycles: int, actor: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO rule_settings (source, lag_tolerance, stall_cycles, created_by)"
        " VALUES ($1, $2, $3, $4)"
        " RETURNING version, source, lag_tolerance, stall_cycles, created_at, created_by",
        source,
        lag_tolerance,
        stall_cycles,
        actor,
    )
