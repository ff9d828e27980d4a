"""SQL for settings: versioned rule sets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


async def scoring_rule_versions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every SCORING version with the instant it took effect, oldest first."""
    return await conn.fetch(
        "SELECT version, body, effective_from FROM rule_sets WHERE kind = 'SCORING'"
        " ORDER BY version"
    )
