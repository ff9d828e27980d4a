"""SQL for the tasks schema: one function per query, each taking a connection."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row

ITEM_COLUMNS = (
    "id, code, title, content, source, importance, difficulty, start_date, deadline,"
    " original_deadline, reporting_cycle, state, lead_unit_id, co_unit_ids,"
    " responsible_leader_id, owner_ids, plan_nodes, version, created_at, completed_at,"
    " (SELECT coalesce(jsonb_agg(jsonb_build_object("
    "   'unit_id', a.unit_id, 'role', a.role, 'state', a.state, 'percent', a.percent,"
    "   'last_report_at', a.last_report_at, 'signed_at', a.signed_at,"
    "   'completed_at', a.completed_at, 'returned_reason', a.returned_reason)"
    "   ORDER BY a.role DESC, a.unit_id), '[]'::jsonb)"
    "  FROM assignments a WHERE a.item_id = items.id) AS assignments"
)


async def insert_unit(conn: asyncpg.Connection, **u: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO units (id, code, name, kind, category) VALUES ($1, $2, $3, $4, $5)"
        " RETURNING *",
        u["id"],
        u["code"],
        u["name"],
        u["kind"],
        u["category"],
    )


async def insert_person(conn: asyncpg.Connection, **p: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO people (id, name, unit_id, rank, position, mobile, wecom_user_id, email,"
        " roles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
        p["id"],
        p["name"],
        p.get("unit_id"),
        p.get("rank"),
        p.get("position"),
        p.get("mobile"),
        p.get("wecom_user_id"),
        p.get("email"),
        p.get("roles") or [],
    )


async def get_unit_by_code(conn: asyncpg.Connection, code: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM units WHERE code = $1", code)


async def lock_unit(conn: asyncpg.Connection, unit_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM units WHERE id = $1 FOR UPDATE", unit_id)


UNIT_UPDATABLE = ("code", "name", "kind", "category")
PERSON_UPDATABLE = (
    "name",
    "unit_id",
    "rank",
    "position",
    "mobile",
    "wecom_user_id",
    "email",
    "roles",
)


def _assignments(values: dict[str, Any], allowed: tuple[str, ...]) -> tuple[str, list[Any]]:
    cols = [c for c in allowed if c in values]  # column names from the whitelist only
    sets = "".join(f"{c} = ${i + 2}, " for i, c in enumerate(cols))
    return sets, [values[c] for c in cols]


async def update_unit(conn: asyncpg.Connection, unit_id: UUID, values: dict[str, Any]) -> Row:
    sets, args = _assignments(values, UNIT_UPDATABLE)
    return await conn.fetchrow(
        f"UPDATE units SET {sets}version = version + 1 WHERE id = $1 RETURNING *", unit_id, *args
    )


async def lock_person(conn: asyncpg.Connection, person_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM people WHERE id = $1 FOR UPDATE", person_id)


async def update_person(conn: asyncpg.Connection, person_id: UUID, values: dict[str, Any]) -> Row:
    sets, args = _assignments(values, PERSON_UPDATABLE)
    return await conn.fetchrow(
        f"UPDATE people SET {sets}version = version + 1 WHERE id = $1 RETURNING *",
        person_id,
        *args,
    )


async def list_units_by_ids(conn: asyncpg.Connection, ids: list[UUID]) -> list[Row]:
    return await conn.fetch("SELECT * FROM units WHERE id = ANY($1::uuid[])", ids)


async def list_people_by_ids(conn: asyncpg.Connection, ids: list[UUID]) -> list[Row]:
    return await conn.fetch("SELECT * FROM people WHERE id = ANY($1::uuid[])", ids)


async def list_units(conn: asyncpg.Connection) -> list[Row]:
    return await conn.fetch("SELECT * FROM units ORDER BY code")


async def list_people(conn: asyncpg.Connection, unit_id: UUID | None, limit: int) -> list[Row]:
    return await conn.fetch(
        "SELECT * FROM people WHERE ($1::uuid IS NULL OR unit_id = $1) ORDER BY name, id LIMIT $2",
        unit_id,
        limit,
    )


async def next_item_number(conn: asyncpg.Connection, year: int) -> int:
    """Gap-free per year: the counter row is locked until the transaction ends."""
    return await conn.fetchval(
        "INSERT INTO item_code_counters (year, last) VALUES ($1, 1)"
        " ON CONFLICT (year) DO UPDATE SET last = item_code_counters.last + 1 RETURNING last",
        year,
    )


async def insert_item(conn: asyncpg.Connection, **i: Any) -> Row:
    return await conn.fetchrow(
        "INSERT INTO items (id, code, title, content, source, importance, difficulty,"
        " start_date, deadline, original_deadline, reporting_cycle, state, lead_unit_id,"
        " co_unit_ids, responsible_leader_id, owner_ids, plan_nodes, created_by, created_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
        " coalesce($18, now()))"
        f" RETURNING {ITEM_COLUMNS}",
        i["id"],
        i["code"],
        i["title"],
        i["content"],
        i["source"],
        i["importance"],
        i["difficulty"],
        i["start_date"],
        i["deadline"],
        i["reporting_cycle"],
        i["state"],
        i["lead_unit_id"],
        i["co_unit_ids"],
        i["responsible_leader_id"],
        i["owner_ids"],
        i["plan_nodes"],
        i["created_by"],
        i.get("created_at"),
    )


async def list_items_by_ids(conn: asyncpg.Connection, ids: list[UUID]) -> list[Row]:
    return await conn.fetch(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ANY($1::uuid[])", ids)


async def list_items_page(
    conn: asyncpg.Connection,
    limit: int,
    after: tuple[Any, UUID] | None = None,
    unit_id: UUID | None = None,
    scope_unit_ids: list[UUID] | None = None,
    scope_person_id: UUID | None = None,
) -> list[Row]:
    """Newest first, keyset-paginated on (created_at, id); scope limits what a caller sees."""
    return await conn.fetch(
        f"SELECT {ITEM_COLUMNS} FROM items"
        " WHERE ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))"
        "   AND ($4::uuid IS NULL OR lead_unit_id = $4 OR $4 = ANY(co_unit_ids))"
        "   AND ($5::uuid[] IS NULL OR lead_unit_id = ANY($5) OR co_unit_ids && $5"
        "        OR ($6::uuid IS NOT NULL AND ($6 = ANY(owner_ids) OR responsible_leader_id = $6)))"
        " ORDER BY created_at DESC, id DESC LIMIT $1",
        limit,
        after[0] if after else None,
        after[1] if after else None,
        unit_id,
        scope_unit_ids,
        scope_person_id,
    )
