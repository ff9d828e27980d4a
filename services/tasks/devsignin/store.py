"""SQL of the development sign-in."""

from __future__ import annotations

from uuid import UUID

import asyncpg

_SELECT = """
SELECT p.id, p.name, p.roles, p.unit_id, u.name AS unit_name, p.position
FROM people p LEFT JOIN units u ON u.id = p.unit_id
"""


async def list_candidates(conn: asyncpg.Connection, per_role: int) -> list[asyncpg.Record]:
    """The first `per_role` people (by unit code, then name) holding each role."""
    return await conn.fetch(
        f"""
        {_SELECT}
        WHERE p.id IN (
            SELECT pid FROM (
                SELECT q.id AS pid, row_number() OVER (
                    PARTITION BY role ORDER BY v.code NULLS FIRST, q.name, q.id) AS n
                FROM people q LEFT JOIN units v ON v.id = q.unit_id CROSS JOIN unnest(q.roles) AS role
            ) ranked WHERE n <= $1
        )
        ORDER BY u.code NULLS FIRST, p.name, p.id
        """,
        per_role,
    )


async def get_candidate(conn: asyncpg.Connection, person_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_SELECT} WHERE p.id = $1", person_id)
