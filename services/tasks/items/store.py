"""SQL of supervision items: creation, lookups, the filtered list and the statistics.

One function per query, each taking a connection. Dynamic filters go through
:class:`Where`: conditions are fixed SQL fragments chosen by code, user values only
ever travel as bind parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg import Record as Row

from services.core import clock
from services.tasks.access import Scope

ITEM_COLUMNS = (
    "id, code, title, content, source, importance, difficulty, start_date, deadline,"
    " original_deadline, reporting_cycle, state, lead_unit_id, co_unit_ids,"
    " responsible_leader_id, owner_ids, plan_nodes, version, created_at, completed_at,"
    " source_document_no,"
    " (SELECT coalesce(jsonb_agg(jsonb_build_object("
    "   'unit_id', a.unit_id, 'role', a.role, 'state', a.state, 'percent', a.percent,"
    "   'last_report_at', a.last_report_at, 'signed_at', a.signed_at,"
    "   'completed_at', a.completed_at, 'returned_reason', a.returned_reason,"
    "   'ended_reason', a.ended_reason, 'ended_at', a.ended_at,"
    "   'transferred_to', a.transferred_to)"
    "   ORDER BY a.role DESC, a.unit_id), '[]'::jsonb)"
    "  FROM assignments a WHERE a.item_id = items.id) AS assignments"
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
        " co_unit_ids, responsible_leader_id, owner_ids, plan_nodes, created_by, created_at,"
        " source_document_no)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
        " coalesce($18, now()), $19)"
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
        i.get("source_document_no"),
    )


OPEN_STATES = ["ASSIGNED", "IN_PROGRESS", "COMPLETION_REQUESTED", "SUSPENDED"]


async def list_duplicate_candidates(
    conn: asyncpg.Connection, lead_unit_id: UUID, document_no: str | None
) -> list[Row]:
    """Open items of the same lead unit, and open items under the same document number
    (the title similarity is judged in items.domain)."""
    return await conn.fetch(
        "SELECT id, code, title, lead_unit_id, source_document_no FROM items"
        " WHERE state = ANY($3::text[])"
        " AND (lead_unit_id = $1 OR ($2::text IS NOT NULL AND source_document_no = $2))"
        " ORDER BY created_at DESC LIMIT 2000",
        lead_unit_id,
        document_no,
        OPEN_STATES,
    )


async def list_items_by_ids(conn: asyncpg.Connection, ids: list[UUID]) -> list[Row]:
    return await conn.fetch(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ANY($1::uuid[])", ids)


async def list_items_with_lead_units_by_ids(
    conn: asyncpg.Connection, ids: list[UUID]
) -> list[tuple[Row, Row | None]]:
    """Items and their lead units in one round trip: (item row, unit row or None). The
    item row has the columns of ``list_items_by_ids``, the unit row those of
    ``org.store.list_units_by_ids``."""
    rows = await conn.fetch(
        f"SELECT {ITEM_COLUMNS}, (SELECT u FROM units u WHERE u.id = items.lead_unit_id)"
        " AS lead_unit FROM items WHERE id = ANY($1::uuid[])",
        ids,
    )
    return [(r, r["lead_unit"]) for r in rows]


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


OPEN_STATES = ["ASSIGNED", "IN_PROGRESS", "COMPLETION_REQUESTED"]
TEXT_EXPR = "(title || ' ' || content)"


@dataclass
class ItemFilter:
    """Filters of the item list; None / empty means "any"."""

    unit_id: UUID | None = None
    states: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    responsible_leader_id: UUID | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    keyword: str | None = None
    year: int | None = None


class Where:
    """Collects ``AND``-ed conditions; ``add`` binds values as $n parameters."""

    def __init__(self, first_param: int = 1) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []
        self._next = first_param

    def param(self, value: Any) -> str:
        self.args.append(value)
        ref = f"${self._next}"
        self._next += 1
        return ref

    def add(self, template: str, *values: Any) -> None:
        """``template`` uses ``{}`` for each value, e.g. ``"state = ANY({})"``."""
        self.parts.append(template.format(*(self.param(v) for v in values)))

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "TRUE"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def item_conditions(f: ItemFilter, scope: Scope | None, where: Where) -> Where:
    if f.unit_id is not None:
        unit = where.param(f.unit_id)
        where.parts.append(f"(lead_unit_id = {unit} OR co_unit_ids @> ARRAY[{unit}::uuid])")
    # one value: a plain equality lets the planner walk (state|source, created_at) in order
    if len(f.states) == 1:
        where.add("state = {}", f.states[0])
    elif f.states:
        where.add("state = ANY({}::text[])", f.states)
    if len(f.sources) == 1:
        where.add("source = {}", f.sources[0])
    elif f.sources:
        where.add("source = ANY({}::text[])", f.sources)
    if f.responsible_leader_id is not None:
        where.add("responsible_leader_id = {}", f.responsible_leader_id)
    if f.deadline_from is not None:
        where.add("deadline >= {}", f.deadline_from)
    if f.deadline_to is not None:
        where.add("deadline <= {}", f.deadline_to)
    if f.keyword:
        where.add(f"{TEXT_EXPR} ILIKE {{}}", f"%{escape_like(f.keyword)}%")
    if f.year is not None:
        where.add("extract(year FROM start_date)::int = {}", f.year)
    if scope is not None:
        units = where.param(scope.unit_ids)
        person = where.param(scope.person_id)
        where.parts.append(
            f"(lead_unit_id = ANY({units}::uuid[]) OR co_unit_ids && {units}::uuid[]"
            f" OR ({person}::uuid IS NOT NULL AND (owner_ids @> ARRAY[{person}::uuid]"
            f" OR responsible_leader_id = {person}::uuid)))"
        )
    return where


async def list_items_filtered(
    conn: asyncpg.Connection,
    limit: int,
    after: tuple[datetime, UUID] | None,
    f: ItemFilter,
    scope: Scope | None,
) -> list[Row]:
    """Newest first, keyset-paginated on (created_at, id)."""
    where = Where(first_param=2)
    if after is not None:
        where.add("(created_at, id) < ({}, {}::uuid)", after[0], after[1])
    item_conditions(f, scope, where)
    return await conn.fetch(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE {where.sql()}"
        " ORDER BY created_at DESC, id DESC LIMIT $1",
        limit,
        *where.args,
    )


DIMENSIONS = {
    "YEAR": ("extract(year FROM start_date)::int::text", "items"),
    # the month an item started, YYYY-MM (the big screen's trend by month)
    "MONTH": ("to_char(start_date, 'YYYY-MM')", "items"),
    "SOURCE": ("source", "items"),
    "STATE": ("state", "items"),
    # an item counts for its lead unit and each co-unit
    "UNIT": ("u::text", "items, unnest(array_prepend(lead_unit_id, co_unit_ids)) u"),
}


async def item_statistics(
    conn: asyncpg.Connection,
    dimension: str,
    today: date,
    f: ItemFilter,
    scope: Scope | None,
    timezone: str | None = None,
) -> list[Row]:
    key, source = DIMENSIONS[dimension]  # whitelisted
    where = Where(first_param=4)
    item_conditions(f, scope, where)
    # on time = done by the effective (possibly extended) deadline, in the district's zone
    return await conn.fetch(
        f"SELECT {key} AS key, count(*) AS total,"
        " count(*) FILTER (WHERE state = 'COMPLETED') AS completed,"
        " count(*) FILTER (WHERE state = 'COMPLETED'"
        "   AND (completed_at AT TIME ZONE $3)::date <= deadline)"
        "   AS completed_on_time,"
        " count(*) FILTER (WHERE state = ANY($1::text[])) AS open,"
        " count(*) FILTER (WHERE state = ANY($1::text[]) AND deadline >= $2) AS on_track,"
        " count(*) FILTER (WHERE state = ANY($1::text[]) AND deadline < $2) AS overdue,"
        " count(*) FILTER (WHERE state = 'SUSPENDED') AS suspended,"
        " count(*) FILTER (WHERE state = 'CANCELLED') AS cancelled"
        f" FROM {source} WHERE {where.sql()} GROUP BY 1 ORDER BY 1",
        OPEN_STATES,
        today,
        timezone or clock.local_tz().key,
        *where.args,
    )
