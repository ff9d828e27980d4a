"""SQL for exemption (容错) requests and decisions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def insert_exemption(conn: asyncpg.Connection, row: dict[str, Any]) -> asyncpg.Record:
    rec = await conn.fetchrow(
        "INSERT INTO exemptions (id, item_id, case_type, reason, evidence, requested_by,"
        " requested_unit_id, requested_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *",
        row["id"],
        row["item_id"],
        row["case_type"],
        row["reason"],
        row["evidence"],
        row["requested_by"],
        row["requested_unit_id"],
        row["requested_at"],
    )
    assert rec is not None
    return rec


async def lock_item_exemptions(conn: asyncpg.Connection, item_id: UUID) -> None:
    """Serialise requests on one item until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"exemption:{item_id}")


async def get_exemption_for_update(conn: asyncpg.Connection, eid: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM exemptions WHERE id = $1 FOR UPDATE", eid)


async def open_exemption_for_item(conn: asyncpg.Connection, item_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM exemptions WHERE item_id = $1 AND state IN ('PENDING', 'APPROVED')",
        item_id,
    )


async def decide(
    conn: asyncpg.Connection, eid: UUID, state: str, by: str, note: str, at: Any
) -> asyncpg.Record:
    rec = await conn.fetchrow(
        "UPDATE exemptions SET state = $2, decided_by = $3, decision_note = $4, decided_at = $5"
        " WHERE id = $1 RETURNING *",
        eid,
        state,
        by,
        note,
        at,
    )
    assert rec is not None
    return rec


async def revoke(conn: asyncpg.Connection, eid: UUID, note: str, at: Any) -> asyncpg.Record:
    rec = await conn.fetchrow(
        "UPDATE exemptions SET state = 'REVOKED', revoke_note = $2, revoked_at = $3"
        " WHERE id = $1 RETURNING *",
        eid,
        note,
        at,
    )
    assert rec is not None
    return rec


async def list_exemptions(
    conn: asyncpg.Connection,
    state: str | None,
    item_ids: list[UUID] | None = None,
    requester_units: list[UUID] | None = None,
    requested_by: str | None = None,
) -> list[asyncpg.Record]:
    """All, or (for a non-office caller) the caller's own and their units' requests."""
    return await conn.fetch(
        "SELECT * FROM exemptions WHERE ($1::text IS NULL OR state = $1)"
        " AND ($2::uuid[] IS NULL OR item_id = ANY($2))"
        " AND ($4::text IS NULL AND $3::uuid[] IS NULL"
        "  OR requested_by = $4 OR requested_unit_id = ANY($3))"
        " ORDER BY requested_at DESC",
        state,
        item_ids,
        requester_units,
        requested_by,
    )


async def decided_exemptions(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM exemptions WHERE state IN ('APPROVED', 'REVOKED') ORDER BY decided_at, id"
    )
