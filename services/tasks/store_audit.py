"""SQL for reading the audit trail (writing is services.tasks.audit.append_audit)."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from asyncpg import Record as Row

AUDIT_COLUMNS = (
    "id, chain_seq, occurred_at, actor_id, action, subject_type, subject_id, item_id,"
    " before, after, request_id, prev_hash, hash"
)


async def list_audit_entries(
    conn: asyncpg.Connection,
    limit: int,
    after_seq: int = 0,
    item_id: UUID | None = None,
    actor_id: str | None = None,
    scope: tuple[list[UUID], UUID | None, str] | None = None,
) -> list[Row]:
    """Oldest first from ``after_seq``.

    ``scope`` = (unit ids, person id, own actor id) of a caller who does not see
    everything: an entry is readable when its item has one of the units (lead or
    co-unit), or the person owns or leads it, or the caller made the entry.
    """
    units, person, own = scope if scope else (None, None, None)
    return await conn.fetch(
        "SELECT a.id, a.chain_seq, a.occurred_at, a.actor_id, a.action, a.subject_type,"
        " a.subject_id, a.item_id, a.before, a.after, a.request_id, a.prev_hash, a.hash"
        " FROM audit_log a LEFT JOIN items i ON i.id = a.item_id"
        " WHERE a.chain_seq > $2"
        "   AND ($3::uuid IS NULL OR a.item_id = $3)"
        "   AND ($4::text IS NULL OR a.actor_id = $4)"
        "   AND ($5::uuid[] IS NULL OR a.actor_id = $7"
        "        OR i.lead_unit_id = ANY($5) OR i.co_unit_ids && $5"
        "        OR ($6::uuid IS NOT NULL AND ($6 = ANY(i.owner_ids) OR i.responsible_leader_id = $6)))"
        " ORDER BY a.chain_seq LIMIT $1",
        limit,
        after_seq,
        item_id,
        actor_id,
        units,
        person,
        own,
    )


async def list_audit_entries_by_items(
    conn: asyncpg.Connection, item_ids: list[UUID], per_item: int = 500
) -> list[Row]:
    """The trails of several items at once (one query per batch), oldest first."""
    return await conn.fetch(
        f"SELECT {AUDIT_COLUMNS} FROM ("
        f"  SELECT {AUDIT_COLUMNS},"
        "   row_number() OVER (PARTITION BY item_id ORDER BY chain_seq) AS n"
        "  FROM audit_log WHERE item_id = ANY($1::uuid[])) t"
        " WHERE n <= $2 ORDER BY chain_seq",
        item_ids,
        per_item,
    )
