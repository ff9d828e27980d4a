"""SQL behind the inbox, the notification log, channel preferences and unit robots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg


async def set_unit_robot_override(
    conn: asyncpg.Connection, unit_id: UUID, key: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE units SET robot_key_override = $2 WHERE id = $1"
        " RETURNING id, name, coalesce(robot_key_override, wecom_robot_key) AS robot_key",
        unit_id,
        key,
    )


async def list_unit_robots(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every unit with whether a robot key is in force and where it comes from (never the key)."""
    return list(
        await conn.fetch(
            "SELECT id, code, name,"
            " coalesce(robot_key_override, wecom_robot_key) IS NOT NULL AS has_robot,"
            " robot_key_override IS NOT NULL AS overridden"
            " FROM units ORDER BY code, name"
        )
    )


SELECT_COLUMNS = (
    "id, kind, channel, item_id, person_id, unit_id, address, title, body, state, attempts,"
    " last_error, created_at, sent_at, read_at"
)


async def list_notifications(
    conn: asyncpg.Connection,
    *,
    person_id: UUID | None = None,
    channel: str | None = None,
    state: str | None = None,
    item_id: UUID | None = None,
    unread_only: bool = False,
    ids: Sequence[int] | None = None,
    limit: int = 100,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {SELECT_COLUMNS} FROM notifications"
        " WHERE ($1::uuid IS NULL OR person_id = $1) AND ($2::text IS NULL OR channel = $2)"
        "  AND ($3::text IS NULL OR state = $3) AND ($4::uuid IS NULL OR item_id = $4)"
        "  AND (NOT $5 OR read_at IS NULL) AND ($6::bigint[] IS NULL OR id = ANY($6))"
        " ORDER BY created_at DESC, id DESC LIMIT $7",
        person_id,
        channel,
        state,
        item_id,
        unread_only,
        list(ids) if ids is not None else None,
        limit,
    )


async def unread_count(conn: asyncpg.Connection, person_id: UUID) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM notifications WHERE person_id = $1 AND channel = 'INBOX'"
            " AND read_at IS NULL",
            person_id,
        )
    )


async def mark_read(
    conn: asyncpg.Connection, person_id: UUID, ids: Sequence[int] | None, at: datetime
) -> int:
    """Mark the person's inbox rows read (all when ``ids`` is None); returns how many."""
    result = await conn.execute(
        "UPDATE notifications SET read_at = $3 WHERE person_id = $1 AND channel = 'INBOX'"
        " AND read_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2))",
        person_id,
        list(ids) if ids is not None else None,
        at,
    )
    return int(result.split()[-1])


# the address in force now: the person's WeCom id or email, the unit's robot key
CURRENT_ADDRESS = (
    "CASE WHEN p.id IS NULL AND u.id IS NULL THEN x.address"  # not in the directory
    " WHEN x.channel = 'WECOM_APP' THEN p.wecom_user_id WHEN x.channel = 'EMAIL' THEN p.email"
    " WHEN x.channel = 'WECOM_ROBOT' THEN coalesce(u.robot_key_override, u.wecom_robot_key)"
    " ELSE x.address END"
)


async def resend(conn: asyncpg.Connection, ids: Sequence[int]) -> list[asyncpg.Record]:
    """DEAD/SKIPPED rows back to PENDING, addressed to the current address."""
    returning = ", ".join(f"n.{c.strip()}" for c in SELECT_COLUMNS.split(","))
    return await conn.fetch(
        "UPDATE notifications n SET state = 'PENDING', attempts = 0, next_attempt_at = now(),"
        f" last_error = NULL, delivery_id = NULL, address = {CURRENT_ADDRESS}"
        " FROM notifications x LEFT JOIN people p ON p.id = x.person_id"
        "  LEFT JOIN units u ON u.id = x.unit_id AND x.channel = 'WECOM_ROBOT'"
        " WHERE n.id = x.id AND n.id = ANY($1::bigint[]) AND n.state IN ('DEAD', 'SKIPPED')"
        f" RETURNING {returning}",
        list(ids),
    )


async def get_preferences(conn: asyncpg.Connection, person_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT person_id, wecom_app, email, inbox FROM channel_preferences WHERE person_id = $1",
        person_id,
    )


async def upsert_preferences(
    conn: asyncpg.Connection, person_id: UUID, wecom_app: bool, email: bool, inbox: bool
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO channel_preferences (person_id, wecom_app, email, inbox) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (person_id) DO UPDATE SET wecom_app = EXCLUDED.wecom_app,"
        "  email = EXCLUDED.email, inbox = EXCLUDED.inbox, updated_at = now()"
        " RETURNING person_id, wecom_app, email, inbox",
        person_id,
        wecom_app,
        email,
        inbox,
    )
    assert row is not None
    return row
