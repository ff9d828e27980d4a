"""SQL for reminders: people and units projections, preferences, notification rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

CLOSED_STATES = ["COMPLETED", "CANCELLED", "SUSPENDED", "DRAFT"]


async def upsert_person(conn: asyncpg.Connection, p: dict[str, Any], version: int) -> None:
    await conn.execute(
        "INSERT INTO people (id, name, unit_id, mobile, wecom_user_id, email, roles, active,"
        " version) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, unit_id = EXCLUDED.unit_id,"
        "  mobile = EXCLUDED.mobile, wecom_user_id = EXCLUDED.wecom_user_id,"
        "  email = EXCLUDED.email, roles = EXCLUDED.roles, active = EXCLUDED.active,"
        "  version = EXCLUDED.version",
        UUID(p["id"]),
        p["name"],
        UUID(p["unit_id"]) if p.get("unit_id") else None,
        p.get("mobile"),
        p.get("wecom_user_id"),
        p.get("email"),
        list(p.get("roles") or []),
        p.get("active", True),
        version,
    )


async def upsert_unit(conn: asyncpg.Connection, u: dict[str, Any], version: int) -> None:
    await conn.execute(
        "INSERT INTO units (id, code, name, wecom_robot_key, version) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name,"
        "  wecom_robot_key = EXCLUDED.wecom_robot_key, version = EXCLUDED.version",
        UUID(u["id"]),
        u["code"],
        u["name"],
        u.get("wecom_robot_key"),
        version,
    )


async def set_unit_robot_override(
    conn: asyncpg.Connection, unit_id: UUID, key: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE units SET robot_key_override = $2 WHERE id = $1"
        " RETURNING id, name, coalesce(robot_key_override, wecom_robot_key) AS robot_key",
        unit_id,
        key,
    )


async def list_units_by_ids(conn: asyncpg.Connection, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, code, name, coalesce(robot_key_override, wecom_robot_key) AS robot_key"
        " FROM units WHERE id = ANY($1::uuid[])",
        list(ids),
    )


async def list_people_for(
    conn: asyncpg.Connection, unit_ids: Sequence[UUID], person_ids: Sequence[UUID]
) -> list[asyncpg.Record]:
    """Active people in the units, the named people, and the district leaders."""
    return await conn.fetch(
        "SELECT p.id, p.name, p.unit_id, p.mobile, p.wecom_user_id, p.email, p.roles,"
        "  coalesce(c.wecom_app, true) AS pref_wecom_app, coalesce(c.email, true) AS pref_email,"
        "  coalesce(c.inbox, true) AS pref_inbox"
        " FROM people p LEFT JOIN channel_preferences c ON c.person_id = p.id"
        " WHERE p.active AND (p.unit_id = ANY($1::uuid[]) OR p.id = ANY($2::uuid[])"
        "  OR 'LEADER' = ANY(p.roles))",
        list(unit_ids),
        list(person_ids),
    )


ITEM_COLUMNS = (
    "id, code, title, state, start_date, deadline, lead_unit_id, unit_ids,"
    " responsible_leader_id, owner_ids, reporting_cycle, units, level, level_since"
)


async def get_item(conn: asyncpg.Connection, item_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE id = $1",
        item_id,
    )


async def list_open_items_after(
    conn: asyncpg.Connection, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {ITEM_COLUMNS} FROM items"
        " WHERE state <> ALL($1::text[]) AND ($2::uuid IS NULL OR id > $2)"
        " ORDER BY id LIMIT $3",
        CLOSED_STATES,
        after,
        limit,
    )


async def claim_reasons(
    conn: asyncpg.Connection, reasons: Sequence[tuple[str, str, UUID | None]]
) -> set[str]:
    """Claim many (reason key, kind, item) at once; returns the keys seen for the first time."""
    if not reasons:
        return set()
    keys, kinds, items = (list(c) for c in zip(*reasons, strict=True))
    rows = await conn.fetch(
        "INSERT INTO reminder_reasons (reason_key, kind, item_id)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING reason_key",
        keys,
        kinds,
        items,
    )
    return {r["reason_key"] for r in rows}


async def reasons_seen(conn: asyncpg.Connection, keys: Sequence[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT reason_key FROM reminder_reasons WHERE reason_key = ANY($1::text[])", list(keys)
    )
    return {r["reason_key"] for r in rows}


NOTIFICATION_COLUMNS = (
    "dedupe_key, reason_key, kind, channel, item_id, person_id, unit_id, address, mentions,"
    " title, body, state, sent_at"
)


async def insert_notifications(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows (in NOTIFICATION_COLUMNS order) in one statement; existing dedupe keys
    are left alone. Returns how many were new."""
    if not rows:
        return 0
    cols = list(zip(*rows, strict=True))
    mentions = ["\n".join(m) for m in cols[8]]  # unnest cannot take a ragged text[][]
    return int(
        await conn.fetchval(
            f"WITH ins AS (INSERT INTO notifications ({NOTIFICATION_COLUMNS})"
            " SELECT d, r, k, c, i, p, u, a,"
            "  CASE WHEN m = '' THEN '{}'::text[] ELSE string_to_array(m, E'\\n') END,"
            "  t, b, s, w"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[],"
            "  $6::uuid[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[],"
            "  $12::text[], $13::timestamptz[]) AS x(d, r, k, c, i, p, u, a, m, t, b, s, w)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1)"
            " SELECT count(*) FROM ins",
            *[list(c) for c in cols[:8]],
            mentions,
            *[list(c) for c in cols[9:]],
        )
    )


async def skip_for_closed_items(conn: asyncpg.Connection) -> int:
    """Pending reminders of items completed or cancelled since they were queued go unsent."""
    result = await conn.execute(
        "UPDATE notifications n SET state = 'SKIPPED', lease_until = NULL,"
        "  last_error = '事项已办结或已撤销，提醒不再发送'"
        " FROM items i WHERE n.item_id = i.id AND n.state = 'PENDING'"
        "  AND i.state IN ('COMPLETED', 'CANCELLED')"
    )
    return int(result.split()[-1])


async def claim_due(
    conn: asyncpg.Connection, limit: int, lease_seconds: float
) -> list[asyncpg.Record]:
    """Due rows (and rows whose sender died mid-way) → SENDING with a lease; one attempt more."""
    return await conn.fetch(
        "UPDATE notifications n SET state = 'SENDING', attempts = n.attempts + 1,"
        "  lease_until = now() + make_interval(secs => $2)"
        " FROM (SELECT id FROM notifications"
        "  WHERE ((state = 'PENDING' AND next_attempt_at <= now())"
        "    OR (state = 'SENDING' AND lease_until < now()))"
        # one recipient's rows together, so each gets one digest per run
        "  ORDER BY channel, address, id LIMIT $1 FOR UPDATE SKIP LOCKED) due"
        " WHERE n.id = due.id"
        " RETURNING n.id, n.channel, n.address, n.mentions, n.title, n.body, n.attempts,"
        "  n.person_id, n.unit_id",
        limit,
        lease_seconds,
    )


async def mark_sent(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute(
        "UPDATE notifications SET state = 'SENT', sent_at = now(), lease_until = NULL,"
        " last_error = NULL WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
    )


async def mark_failed(
    conn: asyncpg.Connection,
    ids: Sequence[int],
    error: str,
    retry_in: float | None,
    max_attempts: int,
    count_attempt: bool = True,
) -> None:
    """Back to PENDING after ``retry_in`` seconds, or DEAD (no retry / out of attempts)."""
    await conn.execute(
        "UPDATE notifications SET lease_until = NULL, last_error = $2,"
        "  attempts = attempts - CASE WHEN $5 THEN 0 ELSE 1 END,"
        "  state = CASE WHEN $3::float8 IS NULL OR ($5 AND attempts >= $4) THEN 'DEAD'"
        "   ELSE 'PENDING' END,"
        "  next_attempt_at = now() + make_interval(secs => coalesce($3::float8, 0))"
        " WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
        error[:2000],
        retry_in,
        max_attempts,
        count_attempt,
    )


async def mark_skipped(conn: asyncpg.Connection, ids: Sequence[int], why: str) -> None:
    await conn.execute(
        "UPDATE notifications SET state = 'SKIPPED', lease_until = NULL, last_error = $2"
        " WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
        why,
    )


async def resend(conn: asyncpg.Connection, ids: Sequence[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "UPDATE notifications SET state = 'PENDING', attempts = 0, next_attempt_at = now(),"
        " last_error = NULL WHERE id = ANY($1::bigint[]) AND state IN ('DEAD', 'SKIPPED')"
        f" RETURNING {SELECT_COLUMNS}",
        list(ids),
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
