"""SQL of WeCom cards: who gets one, the durable send queue and pending card updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

Row: TypeAlias = asyncpg.Record


async def supervisors_of(conn: asyncpg.Connection, unit_ids: Sequence[UUID]) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT id, unit_id, wecom_user_id FROM people WHERE active"
            " AND unit_id = ANY($1::uuid[]) AND 'UNIT_SUPERVISOR' = ANY(roles)"
            " AND wecom_user_id IS NOT NULL AND wecom_user_id <> '' ORDER BY id",
            list(unit_ids),
        )
    )


async def people_with_wecom(conn: asyncpg.Connection, ids: Sequence[UUID]) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT id, wecom_user_id FROM people WHERE active AND id = ANY($1::uuid[])"
            " AND wecom_user_id IS NOT NULL AND wecom_user_id <> '' ORDER BY id",
            list(ids),
        )
    )


async def insert_cards(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of (task_id, kind, person_id, user_id, item_id, card); a known task id is kept."""
    await conn.executemany(
        "INSERT INTO wecom_cards (task_id, kind, person_id, user_id, item_id, card)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (task_id) DO NOTHING",
        rows,
    )


async def record_action(
    conn: asyncpg.Connection, task_id: str, response_code: str, text: str
) -> bool:
    return bool(
        await conn.fetchval(
            "UPDATE wecom_cards SET response_code = $2, acted_text = $3, update_state = 'PENDING'"
            " WHERE task_id = $1 RETURNING true",
            task_id,
            response_code,
            text,
        )
    )


async def claim_sends(conn: asyncpg.Connection, now: datetime, limit: int) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT task_id, user_id, card, attempts FROM wecom_cards"
            " WHERE state = 'PENDING' AND next_attempt_at <= $1 ORDER BY created_at"
            " LIMIT $2 FOR UPDATE SKIP LOCKED",
            now,
            limit,
        )
    )


async def claim_updates(conn: asyncpg.Connection, limit: int) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT task_id, user_id, response_code, acted_text, update_attempts FROM wecom_cards"
            " WHERE update_state = 'PENDING' ORDER BY task_id LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
    )


async def mark_sent(conn: asyncpg.Connection, task_id: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE wecom_cards SET state = 'SENT', sent_at = $2, attempts = attempts + 1,"
        " last_error = NULL WHERE task_id = $1",
        task_id,
        at,
    )


async def mark_send_failed(
    conn: asyncpg.Connection, task_id: str, error: str, next_at: datetime | None
) -> None:
    await conn.execute(
        "UPDATE wecom_cards SET attempts = attempts + 1, last_error = $2,"
        " state = CASE WHEN $3::timestamptz IS NULL THEN 'DEAD' ELSE state END,"
        " next_attempt_at = coalesce($3, next_attempt_at) WHERE task_id = $1",
        task_id,
        error[:500],
        next_at,
    )


async def mark_skipped(conn: asyncpg.Connection, why: str) -> int:
    result = await conn.execute(
        "UPDATE wecom_cards SET state = 'SKIPPED', last_error = $1 WHERE state = 'PENDING'", why
    )
    return int(result.split()[-1])


async def mark_updated(
    conn: asyncpg.Connection, task_id: str, state: str, error: str | None
) -> None:
    await conn.execute(
        "UPDATE wecom_cards SET update_state = $2, update_attempts = update_attempts + 1,"
        " last_error = coalesce($3, last_error) WHERE task_id = $1",
        task_id,
        state,
        error,
    )
