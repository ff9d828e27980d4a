"""SQL of the WeCom callback: the person behind a user id, and handled presses."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

Row: TypeAlias = asyncpg.Record


async def person_by_wecom_user(conn: asyncpg.Connection, user_id: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT id, name, unit_id, roles FROM people WHERE wecom_user_id = $1"
        " ORDER BY created_at LIMIT 1",
        user_id,
    )


async def claim_callback(
    conn: asyncpg.Connection, key: str, user_id: str, task_id: str, event_key: str
) -> bool:
    """True the first time this press is seen; False for a replay."""
    return bool(
        await conn.fetchval(
            "INSERT INTO wecom_callbacks (callback_key, wecom_user_id, task_id, event_key)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            key,
            user_id,
            task_id,
            event_key,
        )
    )


async def finish_callback(
    conn: asyncpg.Connection, key: str, person_id: object, done: bool, message: str
) -> None:
    await conn.execute(
        "UPDATE wecom_callbacks SET person_id = $2, done = $3, message = $4"
        " WHERE callback_key = $1",
        key,
        person_id,
        done,
        message,
    )
