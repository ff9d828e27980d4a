"""SQL the ledger needs: lookups for imports, filtered items for exports.

Filters and the caller's scope are the item list's own (items.store.item_conditions),
so an export holds exactly what the same filter lists in GraphQL.
"""

from __future__ import annotations

import asyncpg
from asyncpg import Record as Row

from services.tasks.access import Scope
from services.tasks.items.store import ITEM_COLUMNS, ItemFilter, Where, item_conditions

# A person's name, with the unit added when the name is not unique: 张伟（东城街道）.
_PERSON_LABEL = (
    "{p}.name || CASE WHEN EXISTS (SELECT 1 FROM people d WHERE d.name = {p}.name"
    " AND d.id <> {p}.id) THEN '（' || coalesce((SELECT pu.name FROM units pu"
    " WHERE pu.id = {p}.unit_id), '无单位') || '）' ELSE '' END"
)


async def list_items_for_ledger(
    conn: asyncpg.Connection, f: ItemFilter, scope: Scope | None, limit: int
) -> list[Row]:
    """Items with unit and people names resolved, by start date and code."""
    where = item_conditions(f, scope, Where(first_param=2))
    return await conn.fetch(
        "SELECT x.*, lu.name AS lead_unit_name,"
        " (SELECT array_agg(u.name ORDER BY u.code) FROM units u WHERE u.id = ANY(x.co_unit_ids))"
        "   AS co_unit_names,"
        f" {_PERSON_LABEL.format(p='rl')} AS leader_name,"
        f" (SELECT array_agg({_PERSON_LABEL.format(p='p')} ORDER BY p.name) FROM people p"
        "   WHERE p.id = ANY(x.owner_ids)) AS owner_names"
        f" FROM (SELECT {ITEM_COLUMNS} FROM items WHERE {where.sql()}"
        "       ORDER BY start_date, code LIMIT $1) x"
        " JOIN units lu ON lu.id = x.lead_unit_id"
        " LEFT JOIN people rl ON rl.id = x.responsible_leader_id"
        " ORDER BY x.start_date, x.code",
        limit,
        *where.args,
    )


async def unit_names(conn: asyncpg.Connection) -> dict[str, str]:
    return {str(r["id"]): r["name"] for r in await conn.fetch("SELECT id, name FROM units")}


async def list_all_units(conn: asyncpg.Connection) -> list[Row]:
    return await conn.fetch("SELECT id, code, name FROM units")


async def list_people_names(conn: asyncpg.Connection) -> list[Row]:
    return await conn.fetch(
        "SELECT p.id, p.name, p.unit_id, u.name AS unit_name, u.code AS unit_code"
        " FROM people p LEFT JOIN units u ON u.id = p.unit_id"
    )


async def list_units_full(conn: asyncpg.Connection) -> list[Row]:
    return await conn.fetch("SELECT id, code, name, kind, category, retired_at FROM units")


async def list_people_full(conn: asyncpg.Connection) -> list[Row]:
    return await conn.fetch(
        "SELECT id, code, name, unit_id, rank, position, mobile, wecom_user_id, email, roles,"
        " retired_at FROM people"
    )
