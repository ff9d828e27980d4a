"""SQL of the WeCom sign-in: used states, the person behind a WeCom user id, sessions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

_PERSON = """
SELECT p.id, p.name, p.roles, p.unit_id, u.name AS unit_name, p.position,
       p.retired_at IS NOT NULL AS retired
FROM people p LEFT JOIN units u ON u.id = p.unit_id
"""


async def use_state(
    conn: asyncpg.Connection, nonce: str, expires_at: datetime, now: datetime
) -> bool:
    """True the first time a state's nonce is used; False on a replay. Forgets old ones."""
    await conn.execute("DELETE FROM signin_states_used WHERE expires_at < $1", now)
    return bool(
        await conn.fetchval(
            "INSERT INTO signin_states_used (nonce, expires_at) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            nonce,
            expires_at,
        )
    )


async def person_by_wecom_user(conn: asyncpg.Connection, user_id: str) -> asyncpg.Record | None:
    """The person a WeCom user id maps to; an active one before a retired namesake."""
    return await conn.fetchrow(
        f"{_PERSON} WHERE p.wecom_user_id = $1"
        " ORDER BY p.retired_at IS NOT NULL, p.created_at LIMIT 1",
        user_id,
    )


async def person_by_id(conn: asyncpg.Connection, person_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_PERSON} WHERE p.id = $1", person_id)


async def create_session(
    conn: asyncpg.Connection,
    session_id: UUID,
    person_id: UUID,
    via: str,
    token_hash: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO signin_sessions (id, person_id, via, token_hash, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        session_id,
        person_id,
        via,
        token_hash,
        expires_at,
    )


async def session_by_token(conn: asyncpg.Connection, token_hash: str) -> asyncpg.Record | None:
    """The session whose current refresh token this is, locked for its rotation."""
    return await conn.fetchrow(
        "SELECT id, person_id, expires_at, revoked_at FROM signin_sessions"
        " WHERE token_hash = $1 FOR UPDATE",
        token_hash,
    )


async def session_by_previous_token(conn: asyncpg.Connection, token_hash: str) -> UUID | None:
    return await conn.fetchval(
        "SELECT id FROM signin_sessions WHERE previous_hash = $1", token_hash
    )


async def rotate_session(
    conn: asyncpg.Connection, session_id: UUID, old_hash: str, new_hash: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE signin_sessions SET token_hash = $3, previous_hash = $2, renewed_at = $4"
        " WHERE id = $1",
        session_id,
        old_hash,
        new_hash,
        now,
    )


async def revoke_session(conn: asyncpg.Connection, session_id: UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE signin_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        session_id,
        now,
    )
