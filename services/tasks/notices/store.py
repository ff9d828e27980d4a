"""SQL for supervision notices (督查通知单)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row

from services.tasks.items.store import ITEM_COLUMNS


async def lock_item(conn: asyncpg.Connection, item_id: UUID) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE id = $1 FOR UPDATE", item_id
    )


async def item_unit_ids(conn: asyncpg.Connection, item_id: UUID) -> list[str]:
    """The item's lead and co-handling units (sorted), as events name them."""
    row = await conn.fetchrow("SELECT lead_unit_id, co_unit_ids FROM items WHERE id = $1", item_id)
    if row is None:
        return []
    return sorted({str(u) for u in [row["lead_unit_id"], *(row["co_unit_ids"] or [])] if u})


async def units_of_people(conn: asyncpg.Connection, ids: list[UUID]) -> dict[UUID, UUID | None]:
    rows = await conn.fetch("SELECT id, unit_id FROM people WHERE id = ANY($1::uuid[])", ids)
    return {r["id"]: r["unit_id"] for r in rows}


async def next_notice_number(conn: asyncpg.Connection, year: int) -> int:
    """Gap-free per year: the counter row stays locked until the transaction ends."""
    return await conn.fetchval(
        "INSERT INTO notice_counters (year, last) VALUES ($1, 1)"
        " ON CONFLICT (year) DO UPDATE SET last = notice_counters.last + 1 RETURNING last",
        year,
    )


async def insert_notice(
    conn: asyncpg.Connection,
    *,
    id: UUID,
    item_id: UUID,
    year: int,
    number: int,
    code: str,
    content: str,
    response_deadline: date,
    issued_by: str,
    issued_at: datetime,
) -> Row:
    return await conn.fetchrow(
        "INSERT INTO notices (id, item_id, year, number, code, content, response_deadline,"
        " issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
        id,
        item_id,
        year,
        number,
        code,
        content,
        response_deadline,
        issued_by,
        issued_at,
    )


async def insert_recipients(
    conn: asyncpg.Connection, notice_id: UUID, recipients: list[tuple[UUID, str]]
) -> None:
    await conn.executemany(
        "INSERT INTO notice_recipients (notice_id, person_id, role, position)"
        " VALUES ($1, $2, $3, $4)",
        [(notice_id, p, role, i) for i, (p, role) in enumerate(recipients)],
    )


async def get_notice(conn: asyncpg.Connection, notice_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM notices WHERE id = $1", notice_id)


async def list_notices_by_items(conn: asyncpg.Connection, item_ids: list[UUID]) -> list[Row]:
    return await conn.fetch(
        "SELECT * FROM notices WHERE item_id = ANY($1::uuid[]) ORDER BY issued_at, number",
        item_ids,
    )


async def list_notices_for_person(
    conn: asyncpg.Connection, person_id: UUID, pending_only: bool, limit: int
) -> list[Row]:
    return await conn.fetch(
        "SELECT n.* FROM notices n JOIN notice_recipients r ON r.notice_id = n.id"
        " WHERE r.person_id = $1 AND (NOT $2 OR r.acknowledged_at IS NULL)"
        " ORDER BY n.issued_at DESC LIMIT $3",
        person_id,
        pending_only,
        limit,
    )


async def list_recipients_by_notices(conn: asyncpg.Connection, notice_ids: list[UUID]) -> list[Row]:
    return await conn.fetch(
        "SELECT r.*, p.name AS person_name, u.name AS unit_name"
        " FROM notice_recipients r JOIN people p ON p.id = r.person_id"
        " LEFT JOIN units u ON u.id = p.unit_id"
        " WHERE r.notice_id = ANY($1::uuid[]) ORDER BY r.notice_id, r.position",
        notice_ids,
    )


async def get_recipient_for_update(
    conn: asyncpg.Connection, notice_id: UUID, person_id: UUID
) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM notice_recipients WHERE notice_id = $1 AND person_id = $2 FOR UPDATE",
        notice_id,
        person_id,
    )


async def acknowledgement_counts(conn: asyncpg.Connection, notice_id: UUID) -> Row:
    return await conn.fetchrow(
        "SELECT count(*)::int AS total, count(acknowledged_at)::int AS done"
        " FROM notice_recipients WHERE notice_id = $1",
        notice_id,
    )


async def acknowledge(
    conn: asyncpg.Connection, notice_id: UUID, person_id: UUID, at: datetime, note: str | None
) -> Row:
    return await conn.fetchrow(
        "UPDATE notice_recipients SET acknowledged_at = $3, ack_note = $4"
        " WHERE notice_id = $1 AND person_id = $2 RETURNING *",
        notice_id,
        person_id,
        at,
        note,
    )


async def notice_document_facts(conn: asyncpg.Connection, notice_id: UUID) -> dict[str, Any] | None:
    """Everything the printable notice shows, in one round trip."""
    row = await conn.fetchrow(
        "SELECT n.*, i.code AS item_code, i.title AS item_title, i.source, i.deadline,"
        " i.start_date, i.state, lu.name AS lead_unit_name,"
        " (SELECT array_agg(u.name ORDER BY u.code) FROM units u"
        "   WHERE u.id = ANY(i.co_unit_ids)) AS co_unit_names,"
        " rl.name AS leader_name,"
        " (SELECT array_agg(p.name ORDER BY p.name) FROM people p"
        "   WHERE p.id = ANY(i.owner_ids)) AS owner_names"
        " FROM notices n JOIN items i ON i.id = n.item_id"
        " JOIN units lu ON lu.id = i.lead_unit_id"
        " LEFT JOIN people rl ON rl.id = i.responsible_leader_id"
        " WHERE n.id = $1",
        notice_id,
    )
    return dict(row) if row else None
