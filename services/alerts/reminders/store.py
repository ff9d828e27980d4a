"""SQL for reminders: people and units projections, open items, reasons, planned rows."""

from __future__ import annotations

from collections.abc import Sequence
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


async def readdress_person(conn: asyncpg.Connection, person_id: UUID) -> int:
    """Messages still waiting for the person go to the WeCom id / email in force now
    (a row whose address was removed ends DEAD at send time, saying so)."""
    result = await conn.execute(
        "UPDATE notifications n SET address = CASE n.channel"
        "  WHEN 'WECOM_APP' THEN p.wecom_user_id ELSE p.email END"
        " FROM people p WHERE p.id = n.person_id AND n.person_id = $1"
        "  AND n.channel IN ('WECOM_APP', 'EMAIL') AND n.state IN ('PENDING', 'HELD')",
        person_id,
    )
    return int(result.split()[-1])


async def readdress_unit_robot(conn: asyncpg.Connection, unit_id: UUID) -> int:
    """Robot messages still waiting for the unit go to its robot key in force now."""
    result = await conn.execute(
        "UPDATE notifications n SET address = coalesce(u.robot_key_override, u.wecom_robot_key)"
        " FROM units u WHERE u.id = n.unit_id AND n.unit_id = $1 AND n.channel = 'WECOM_ROBOT'"
        "  AND n.state IN ('PENDING', 'HELD')"
        "  AND coalesce(u.robot_key_override, u.wecom_robot_key) IS NOT NULL",
        unit_id,
    )
    return int(result.split()[-1])


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
    " title, body, state, sent_at, link"
)


async def insert_notifications(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows (in NOTIFICATION_COLUMNS order; ``link`` may be left off) in one
    statement; existing dedupe keys are left alone. Returns how many were new."""
    if not rows:
        return 0
    cols = list(zip(*(r if len(r) == 14 else (*r, None) for r in rows), strict=True))
    mentions = ["\n".join(m) for m in cols[8]]  # unnest cannot take a ragged text[][]
    return int(
        await conn.fetchval(
            f"WITH ins AS (INSERT INTO notifications ({NOTIFICATION_COLUMNS})"
            " SELECT d, r, k, c, i, p, u, a,"
            "  CASE WHEN m = '' THEN '{}'::text[] ELSE string_to_array(m, E'\\n') END,"
            "  t, b, s, w, l"
            " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[],"
            "  $6::uuid[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[],"
            "  $12::text[], $13::timestamptz[], $14::text[])"
            "  AS x(d, r, k, c, i, p, u, a, m, t, b, s, w, l)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1)"
            " SELECT count(*) FROM ins",
            *[list(c) for c in cols[:8]],
            mentions,
            *[list(c) for c in cols[9:]],
        )
    )


# -- supervision notices awaiting acknowledgement --------------------------------------


async def add_notice_recipients(
    conn: asyncpg.Connection, rows: Sequence[tuple[UUID, UUID, UUID, str, Any, Any]]
) -> None:
    """(notice, person, item, code, issued_at, response_deadline); a redelivery changes nothing."""
    await conn.executemany(
        "INSERT INTO notice_recipients (notice_id, person_id, item_id, code, issued_at,"
        " response_deadline) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
        rows,
    )


async def acknowledge_notice(
    conn: asyncpg.Connection, notice_id: UUID, person_id: UUID, at: Any
) -> None:
    await conn.execute(
        "UPDATE notice_recipients SET acknowledged_at = $3"
        " WHERE notice_id = $1 AND person_id = $2 AND acknowledged_at IS NULL",
        notice_id,
        person_id,
        at,
    )


async def list_unacknowledged_notices(
    conn: asyncpg.Connection, before: Any
) -> list[asyncpg.Record]:
    """Recipients who have not acknowledged a notice issued before ``before``."""
    return await conn.fetch(
        "SELECT notice_id, person_id, item_id, code, issued_at, response_deadline"
        " FROM notice_recipients WHERE acknowledged_at IS NULL AND issued_at < $1"
        " ORDER BY issued_at, notice_id, person_id",
        before,
    )
