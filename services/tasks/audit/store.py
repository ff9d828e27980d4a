"""SQL of the audit trail (痕迹): appending an entry, walking the chain, reading entries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row

# The canonical content of an entry, as in the migration's audit_entry_hash(); kept
# here too so that a replaced database function cannot make a changed row pass.
ENTRY_HASH_SQL = (
    "encode(sha256(convert_to(jsonb_build_array("
    " chain_seq, prev_hash,"
    " to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " actor_id, action, subject_type, subject_id, item_id::text, before, after,"
    " request_id)::text, 'UTF8')), 'hex')"
)


async def insert_entry(
    conn: asyncpg.Connection,
    actor_id: str,
    action: str,
    subject_type: str,
    subject_id: str,
    item_id: UUID | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str | None,
) -> None:
    """The database trigger sets chain_seq, prev_hash and hash (migration 0010)."""
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, subject_type, subject_id, item_id, before,"
        " after, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        actor_id,
        action,
        subject_type,
        subject_id,
        item_id,
        before,
        after,
        request_id,
    )


async def list_chain_links(conn: asyncpg.Connection, after_seq: int, limit: int) -> list[Row]:
    """Entries after ``after_seq`` in chain order, with the hash recomputed here."""
    return await conn.fetch(
        f"SELECT id, chain_seq, prev_hash, hash, {ENTRY_HASH_SQL} AS expected"
        " FROM audit_log WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2",
        after_seq,
        limit,
    )


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
