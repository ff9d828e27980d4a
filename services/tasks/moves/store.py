"""SQL of the office's moves: item fields, assignments joining and leaving an item,
deadline re-sets, instructions recorded on a leader's behalf and their scans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row

EDITABLE_COLUMNS = frozenset(
    {
        "title",
        "content",
        "source",
        "source_document_no",
        "owner_ids",
        "responsible_leader_id",
        "co_unit_ids",
        "lead_unit_id",
        "reporting_cycle",
        "plan_nodes",
    }
)


async def set_item_fields(conn: asyncpg.Connection, item_id: UUID, changes: dict[str, Any]) -> None:
    """Write edited columns (the version is bumped by the step that emits the event)."""
    unknown = set(changes) - EDITABLE_COLUMNS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not changes:
        return
    values = list(changes.values())  # jsonb (plan_nodes) goes through the pool's codec
    sets = ", ".join(f"{col} = ${i + 2}" for i, col in enumerate(changes))
    await conn.execute(f"UPDATE items SET {sets} WHERE id = $1", item_id, *values)


async def join_assignment(
    conn: asyncpg.Connection, item_id: UUID, unit_id: UUID, role: str
) -> None:
    """A unit joins the item (ASSIGNED, awaiting 签收); a unit that left before comes
    back on its old row, which starts afresh (its earlier steps stay in the audit trail)."""
    await conn.execute(
        "INSERT INTO assignments (item_id, unit_id, role, state) VALUES ($1, $2, $3, 'ASSIGNED')"
        " ON CONFLICT (item_id, unit_id) DO UPDATE SET role = EXCLUDED.role, state = 'ASSIGNED',"
        "  percent = 0, last_report_at = NULL, signed_at = NULL, returned_reason = NULL,"
        "  completion_requested_at = NULL, completed_at = NULL, ended_reason = NULL,"
        "  ended_at = NULL, transferred_to = NULL",
        item_id,
        unit_id,
        role,
    )


async def end_assignment(
    conn: asyncpg.Connection,
    item_id: UUID,
    unit_id: UUID,
    state: str,
    reason: str,
    at: datetime,
    transferred_to: UUID | None = None,
) -> None:
    await conn.execute(
        "UPDATE assignments SET state = $3, ended_reason = $4, ended_at = $5,"
        " transferred_to = $6 WHERE item_id = $1 AND unit_id = $2",
        item_id,
        unit_id,
        state,
        reason,
        at,
        transferred_to,
    )


async def insert_deadline_reset(conn: asyncpg.Connection, **r: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO deadline_resets (id, item_id, old_deadline, new_deadline, reason,"
        " leader_id, reset_by, reset_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *",
        r["id"],
        r["item_id"],
        r["old_deadline"],
        r["new_deadline"],
        r["reason"],
        r["leader_id"],
        r["reset_by"],
        r["reset_at"],
    )


async def insert_recorded_instruction(
    conn: asyncpg.Connection,
    id: UUID,
    item_id: UUID,
    leader_id: str,
    content: str,
    instructed_on: date,
    entered_by: str,
    at: datetime,
) -> Row:
    return await conn.fetchrow(
        "INSERT INTO instructions (id, item_id, leader_id, content, created_at, entered_by,"
        " instructed_on) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        id,
        item_id,
        leader_id,
        content,
        at,
        entered_by,
        instructed_on,
    )


async def insert_scan(
    conn: asyncpg.Connection,
    instruction_id: UUID,
    name: str,
    content_type: str,
    sha256: str,
    data: bytes,
) -> None:
    await conn.execute(
        "INSERT INTO instruction_scans (instruction_id, name, content_type, size, sha256, data)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        instruction_id,
        name,
        content_type,
        len(data),
        sha256,
        data,
    )


async def get_instruction_for_update(conn: asyncpg.Connection, id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM instructions WHERE id = $1 FOR UPDATE", id)


async def confirm_instruction(conn: asyncpg.Connection, id: UUID, at: datetime) -> Row:
    return await conn.fetchrow(
        "UPDATE instructions SET confirmed_at = $2 WHERE id = $1 RETURNING *", id, at
    )


async def list_instructions_of_leader(
    conn: asyncpg.Connection, leader_id: str, unconfirmed_only: bool, limit: int
) -> list[Row]:
    """A leader's instructions, newest first (those the office recorded included)."""
    return await conn.fetch(
        "SELECT * FROM instructions WHERE leader_id = $1"
        " AND (NOT $2 OR (entered_by IS NOT NULL AND confirmed_at IS NULL))"
        " ORDER BY created_at DESC, id LIMIT $3",
        leader_id,
        unconfirmed_only,
        limit,
    )


async def list_scans_by_instructions(conn: asyncpg.Connection, ids: list[UUID]) -> list[Row]:
    return await conn.fetch(
        "SELECT instruction_id, name, content_type, size, sha256 FROM instruction_scans"
        " WHERE instruction_id = ANY($1::uuid[])",
        ids,
    )


async def get_scan_data(conn: asyncpg.Connection, instruction_id: UUID) -> bytes | None:
    return await conn.fetchval(
        "SELECT data FROM instruction_scans WHERE instruction_id = $1", instruction_id
    )
