"""SQL of the item lifecycle: assignments, reports, verifications, extensions,
instructions and chases. One function per query, each taking a connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row

from services.tasks.items.store import ITEM_COLUMNS

ITEM_UPDATABLE = frozenset({"state", "suspended_from", "completed_at", "deadline"})
ASSIGNMENT_UPDATABLE = frozenset(
    {
        "state",
        "percent",
        "last_report_at",
        "signed_at",
        "returned_reason",
        "completion_requested_at",
        "completed_at",
    }
)


def _set_clause(changes: dict[str, Any], allowed: frozenset[str], first: int) -> str:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return ", ".join(f"{col} = ${first + i}" for i, col in enumerate(changes))


async def lock_item(conn: asyncpg.Connection, item_id: UUID) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {ITEM_COLUMNS}, suspended_from FROM items WHERE id = $1 FOR UPDATE", item_id
    )


async def update_item(conn: asyncpg.Connection, item_id: UUID, **changes: Any) -> Row:
    """Apply ``changes`` and bump the aggregate version; returns the item after."""
    sets = _set_clause(changes, ITEM_UPDATABLE, 2)
    sets = f"{sets}, " if sets else ""
    return await conn.fetchrow(
        f"UPDATE items SET {sets}version = version + 1, updated_at = now() WHERE id = $1"
        f" RETURNING {ITEM_COLUMNS}",
        item_id,
        *changes.values(),
    )


async def insert_assignments(
    conn: asyncpg.Connection, item_id: UUID, units: list[tuple[UUID, str]], state: str
) -> None:
    await conn.executemany(
        "INSERT INTO assignments (item_id, unit_id, role, state) VALUES ($1, $2, $3, $4)",
        [(item_id, unit, role, state) for unit, role in units],
    )


async def list_assignments(conn: asyncpg.Connection, item_id: UUID) -> list[Row]:
    return await conn.fetch(
        "SELECT * FROM assignments WHERE item_id = $1 ORDER BY role DESC, unit_id", item_id
    )


async def list_assignments_by_items(conn: asyncpg.Connection, item_ids: list[UUID]) -> list[Row]:
    return await conn.fetch(
        "SELECT * FROM assignments WHERE item_id = ANY($1::uuid[])"
        " ORDER BY item_id, role DESC, unit_id",
        item_ids,
    )


async def update_assignment(
    conn: asyncpg.Connection, item_id: UUID, unit_id: UUID, **changes: Any
) -> Row:
    sets = _set_clause(changes, ASSIGNMENT_UPDATABLE, 3)
    return await conn.fetchrow(
        f"UPDATE assignments SET {sets} WHERE item_id = $1 AND unit_id = $2 RETURNING *",
        item_id,
        unit_id,
        *changes.values(),
    )


async def find_report_by_key(
    conn: asyncpg.Connection, item_id: UUID, unit_id: UUID, key: str
) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM progress_reports WHERE item_id = $1 AND unit_id = $2"
        " AND idempotency_key = $3",
        item_id,
        unit_id,
        key,
    )


async def insert_report(conn: asyncpg.Connection, **r: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO progress_reports (id, item_id, unit_id, percent, narrative, problems,"
        " next_steps, decrease_reason, idempotency_key, reported_by, reported_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
        r["id"],
        r["item_id"],
        r["unit_id"],
        r["percent"],
        r["narrative"],
        r["problems"],
        r["next_steps"],
        r["decrease_reason"],
        r["idempotency_key"],
        r["reported_by"],
        r["reported_at"],
    )


async def get_report_for_update(conn: asyncpg.Connection, report_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM progress_reports WHERE id = $1 FOR UPDATE", report_id)


async def set_report_verification(
    conn: asyncpg.Connection, report_id: UUID, result: str, note: str, by: str, at: datetime
) -> Row:
    return await conn.fetchrow(
        "UPDATE progress_reports SET verification_result = $2, verification_note = $3,"
        " verified_by = $4, verified_at = $5 WHERE id = $1 RETURNING *",
        report_id,
        result,
        note,
        by,
        at,
    )


async def insert_verification(conn: asyncpg.Connection, **v: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO verifications (id, item_id, unit_id, approved, note, on_site, inspection,"
        " decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
        v["id"],
        v["item_id"],
        v["unit_id"],
        v["approved"],
        v["note"],
        v["on_site"],
        v["inspection"],
        v["decided_by"],
        v["decided_at"],
    )


async def pending_extension(conn: asyncpg.Connection, item_id: UUID) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM extensions WHERE item_id = $1 AND state = 'PENDING'", item_id
    )


async def insert_extension(conn: asyncpg.Connection, **e: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO extensions (id, item_id, unit_id, reason, old_deadline, new_deadline,"
        " requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        e["id"],
        e["item_id"],
        e["unit_id"],
        e["reason"],
        e["old_deadline"],
        e["new_deadline"],
        e["requested_by"],
        e["requested_at"],
    )


async def get_extension_for_update(conn: asyncpg.Connection, extension_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM extensions WHERE id = $1 FOR UPDATE", extension_id)


async def decide_extension(
    conn: asyncpg.Connection, extension_id: UUID, state: str, note: str, by: str, at: datetime
) -> Row:
    return await conn.fetchrow(
        "UPDATE extensions SET state = $2, decision_note = $3, decided_by = $4,"
        " decided_at = $5 WHERE id = $1 RETURNING *",
        extension_id,
        state,
        note,
        by,
        at,
    )


async def insert_instruction(
    conn: asyncpg.Connection, id: UUID, item_id: UUID, leader_id: str, content: str, at: datetime
) -> Row:
    return await conn.fetchrow(
        "INSERT INTO instructions (id, item_id, leader_id, content, created_at)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING *",
        id,
        item_id,
        leader_id,
        content,
        at,
    )


async def insert_chase(
    conn: asyncpg.Connection,
    id: UUID,
    item_id: UUID,
    unit_id: UUID | None,
    by: str,
    note: str,
    at: datetime,
) -> Row:
    return await conn.fetchrow(
        "INSERT INTO chases (id, item_id, unit_id, chased_by, note, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        id,
        item_id,
        unit_id,
        by,
        note,
        at,
    )


HISTORY_TABLES = {
    "progress_reports": "reported_at",
    "verifications": "decided_at",
    "extensions": "requested_at",
    "instructions": "created_at",
    "chases": "created_at",
    "deadline_resets": "reset_at",
}


async def list_history_by_items(
    conn: asyncpg.Connection, table: str, item_ids: list[UUID]
) -> list[Row]:
    """Rows of one history table for several items (one query), oldest first."""
    order = HISTORY_TABLES[table]  # whitelisted: never a user value
    return await conn.fetch(
        f"SELECT * FROM {table} WHERE item_id = ANY($1::uuid[]) ORDER BY {order}, id", item_ids
    )
