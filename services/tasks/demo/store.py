"""SQL the demo loader needs of its own: is the tasks schema empty?"""

from __future__ import annotations

import asyncpg


async def is_migrated(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass('units') IS NOT NULL"))


async def has_no_units_and_items(conn: asyncpg.Connection) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM units) AND NOT EXISTS (SELECT 1 FROM items)"
        )
    )
