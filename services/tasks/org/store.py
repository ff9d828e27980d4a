"""SQL of units and people (单位, 人员): one function per query, each taking a connection."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row


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
        " roles, code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        p["id"],
        p["name"],
        p.get("unit_id"),
        p.get("rank"),
        p.get("position"),
        p.get("mobile"),
        p.get("wecom_user_id"),
        p.get("email"),
        p.get("roles") or [],
        p.get("code"),
    )


async def get_unit_by_code(conn: asyncpg.Connection, code: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM units WHERE code = $1", code)


async def lock_unit(conn: asyncpg.Connection, unit_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM units WHERE id = $1 FOR UPDATE", unit_id)


UNIT_UPDATABLE = ("code", "name", "kind", "category", "retired_at")
PERSON_UPDATABLE = (
    "name",
    "unit_id",
    "rank",
    "position",
    "mobile",
    "wecom_user_id",
    "email",
    "roles",
    "code",
    "retired_at",
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
