"""SQL for the evaluation projection (units, people, items and their colour spans) and the
ledger (entries, exemption offsets, commendations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

PENALTY_SQL = (
    "points < 0 AND exemption_id IS NULL AND rule NOT LIKE 'EXEMPTED:%'"
    " AND rule NOT LIKE 'RESTORED:%' AND rule <> 'CRITICISM'"
)


async def insert_entry(
    conn: asyncpg.Connection,
    person_id: UUID,
    item_id: UUID | None,
    event_id: UUID,
    rule: str,
    points: float,
    explanation: str,
    occurred_at: datetime,
    rule_version: int = 0,
    unit_id: UUID | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO ledger_entries (person_id, item_id, event_id, rule, points, explanation,"
        " occurred_at, rule_version, unit_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
        " ON CONFLICT DO NOTHING",
        person_id,
        item_id,
        event_id,
        rule,
        points,
        explanation,
        occurred_at,
        rule_version,
        unit_id,
    )


async def insert_entries(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Rows of (person, item, event, rule, points, explanation, occurred_at, version, unit)."""
    await conn.executemany(
        "INSERT INTO ledger_entries (person_id, item_id, event_id, rule, points, explanation,"
        " occurred_at, rule_version, unit_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)"
        " ON CONFLICT DO NOTHING",
        rows,
    )


async def list_scores_by_person_ids(
    conn: asyncpg.Connection, ids: list[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT person_id, sum(points)::float AS score, count(*) AS entries"
        " FROM ledger_entries WHERE person_id = ANY($1::uuid[]) GROUP BY person_id",
        ids,
    )


async def list_entries_by_person_ids(
    conn: asyncpg.Connection, ids: list[UUID], start: datetime | None, end: datetime | None
) -> list[asyncpg.Record]:
    """Ledger entries of these people, optionally within [start, end), oldest first."""
    return await conn.fetch(
        "SELECT id, person_id, item_id, event_id, rule, points::float AS points, explanation,"
        " occurred_at, rule_version, exemption_id FROM ledger_entries"
        " WHERE person_id = ANY($1::uuid[])"
        " AND ($2::timestamptz IS NULL OR occurred_at >= $2)"
        " AND ($3::timestamptz IS NULL OR occurred_at < $3) ORDER BY occurred_at, id",
        ids,
        start,
        end,
    )


async def list_entries_by_person(
    conn: asyncpg.Connection, person_id: UUID, start: datetime | None, end: datetime | None
) -> list[asyncpg.Record]:
    return await list_entries_by_person_ids(conn, [person_id], start, end)


async def upsert_unit(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO units (id, code, name, kind, category) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name,"
        " kind = EXCLUDED.kind, category = EXCLUDED.category",
        row["id"],
        row["code"],
        row["name"],
        row["kind"],
        row["category"],
    )


async def upsert_person(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO people (id, name, unit_id, rank, roles, active) VALUES ($1,$2,$3,$4,$5,$6)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, unit_id = EXCLUDED.unit_id,"
        " rank = EXCLUDED.rank, roles = EXCLUDED.roles, active = EXCLUDED.active",
        row["id"],
        row["name"],
        row["unit_id"],
        row["rank"],
        row["roles"],
        row["active"],
    )


async def get_people(conn: asyncpg.Connection, ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM people WHERE id = ANY($1::uuid[])", ids)


async def upsert_item(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO items (id, code, title, state, importance, difficulty, deadline,"
        " original_deadline, lead_unit_id, responsible_leader_id, owner_ids, created_at,"
        " completed_at, outcome, days_overdue, version)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, title = EXCLUDED.title,"
        " state = EXCLUDED.state, importance = EXCLUDED.importance,"
        " difficulty = EXCLUDED.difficulty, deadline = EXCLUDED.deadline,"
        " original_deadline = EXCLUDED.original_deadline, lead_unit_id = EXCLUDED.lead_unit_id,"
        " responsible_leader_id = EXCLUDED.responsible_leader_id,"
        " owner_ids = EXCLUDED.owner_ids, created_at = coalesce(items.created_at,"
        " EXCLUDED.created_at), completed_at = EXCLUDED.completed_at,"
        " outcome = EXCLUDED.outcome, days_overdue = EXCLUDED.days_overdue,"
        " version = EXCLUDED.version",
        row["id"],
        row["code"],
        row["title"],
        row["state"],
        row["importance"],
        row["difficulty"],
        row["deadline"],
        row["original_deadline"],
        row["lead_unit_id"],
        row["responsible_leader_id"],
        row["owner_ids"],
        row["created_at"],
        row["completed_at"],
        row["outcome"],
        row["days_overdue"],
        row["version"],
    )


async def replace_item_units(
    conn: asyncpg.Connection, item_id: UUID, rows: list[tuple[Any, ...]]
) -> None:
    await conn.execute("DELETE FROM item_units WHERE item_id = $1", item_id)
    if rows:
        await conn.executemany(
            "INSERT INTO item_units (item_id, unit_id, role, state, percent, completed_at,"
            " outcome, days_overdue) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            [(item_id, *r) for r in rows],
        )


async def count_item_fact(conn: asyncpg.Connection, item_id: UUID, column: str) -> None:
    assert column in ("extensions", "verifications_passed", "verifications_disputed")
    await conn.execute(f"UPDATE items SET {column} = {column} + 1 WHERE id = $1", item_id)


async def get_item(conn: asyncpg.Connection, item_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM items WHERE id = $1", item_id)


async def list_item_facts(conn: asyncpg.Connection, ids: list[UUID]) -> list[asyncpg.Record]:
    """What the item-read rule needs of each item: its units (lead and co), owners and
    responsible leader."""
    return await conn.fetch(
        "SELECT i.id, i.lead_unit_id, i.owner_ids, i.responsible_leader_id,"
        " coalesce(array_agg(u.unit_id) FILTER (WHERE u.unit_id IS NOT NULL), '{}') AS unit_ids"
        " FROM items i LEFT JOIN item_units u ON u.item_id = i.id"
        " WHERE i.id = ANY($1::uuid[]) GROUP BY i.id",
        ids,
    )


async def get_item_units(conn: asyncpg.Connection, item_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM item_units WHERE item_id = $1", item_id)


async def set_level(
    conn: asyncpg.Connection, item_id: UUID, level: str | None, at: datetime
) -> None:
    await conn.execute(
        "UPDATE item_colour_spans SET ended_at = $2 WHERE item_id = $1 AND ended_at IS NULL",
        item_id,
        at,
    )
    if level:
        await conn.execute(
            "INSERT INTO item_colour_spans (item_id, level, started_at) VALUES ($1,$2,$3)"
            " ON CONFLICT DO NOTHING",
            item_id,
            level,
            at,
        )
    await conn.execute(
        "UPDATE items SET level = $2, level_since = $3 WHERE id = $1", item_id, level, at
    )


async def colour_hours(
    conn: asyncpg.Connection, item_ids: list[UUID], now: datetime
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT item_id, level, sum(extract(epoch FROM coalesce(ended_at, $2) - started_at))"
        " / 3600.0 AS hours FROM item_colour_spans WHERE item_id = ANY($1::uuid[])"
        " GROUP BY item_id, level ORDER BY item_id, level",
        item_ids,
        now,
    )


async def item_ids_with_penalties(conn: asyncpg.Connection, item_id: UUID) -> int:
    return int(
        await conn.fetchval(
            f"SELECT count(*) FROM ledger_entries WHERE item_id = $1 AND {PENALTY_SQL}", item_id
        )
    )


async def offset_penalties(
    conn: asyncpg.Connection, item_id: UUID, exemption_id: UUID, note: str
) -> int:
    """One EXEMPTED:<rule> entry per penalty of the item not yet offset by this exemption."""
    result = await conn.execute(
        "INSERT INTO ledger_entries (person_id, item_id, event_id, rule, points, explanation,"
        " occurred_at, rule_version, exemption_id, unit_id)"
        " SELECT e.person_id, e.item_id, e.event_id, 'EXEMPTED:' || e.rule, -e.points,"
        " $3 || ': 免除「' || e.explanation || '」', e.occurred_at, e.rule_version, $2, e.unit_id"
        " FROM ledger_entries e WHERE e.item_id = $1 AND e.points < 0"
        " AND e.exemption_id IS NULL AND e.rule NOT LIKE 'EXEMPTED:%'"
        " AND e.rule NOT LIKE 'RESTORED:%' AND e.rule <> 'CRITICISM'"
        " ON CONFLICT DO NOTHING",
        item_id,
        exemption_id,
        note,
    )
    return int(result.split()[-1])


async def restore_penalties(conn: asyncpg.Connection, exemption_id: UUID, note: str) -> int:
    result = await conn.execute(
        "INSERT INTO ledger_entries (person_id, item_id, event_id, rule, points, explanation,"
        " occurred_at, rule_version, exemption_id, unit_id)"
        " SELECT person_id, item_id, event_id, 'RESTORED:' || substr(rule, 10), -points,"
        " $2 || ': 恢复扣分 ' || substr(rule, 10), occurred_at,"
        " rule_version, exemption_id, unit_id FROM ledger_entries"
        " WHERE exemption_id = $1 AND rule LIKE 'EXEMPTED:%' ON CONFLICT DO NOTHING",
        exemption_id,
        note,
    )
    return int(result.split()[-1])


async def approved_exemption_for_item(
    conn: asyncpg.Connection, item_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM exemptions WHERE item_id = $1 AND state = 'APPROVED'", item_id
    )


async def score_totals(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every person's all-time total and entry count (rebuild comparison)."""
    return await conn.fetch(
        "SELECT person_id, round(sum(points), 2)::float AS score, count(*) AS entries"
        " FROM ledger_entries GROUP BY person_id ORDER BY person_id"
    )


async def items_of_people(conn: asyncpg.Connection, ids: list[UUID]) -> list[asyncpg.Record]:
    """Items the people own or lead (one query for a batch of people)."""
    return await conn.fetch(
        "SELECT id, code, title, state, outcome, days_overdue, level, owner_ids,"
        " responsible_leader_id FROM items WHERE owner_ids && $1::uuid[]"
        " OR responsible_leader_id = ANY($1::uuid[]) ORDER BY code",
        ids,
    )


async def insert_commendation(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO commendations (id, person_id, item_id, kind, points, reason, recorded_by,"
        " occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        row["id"],
        row["person_id"],
        row["item_id"],
        row["kind"],
        row["points"],
        row["reason"],
        row["recorded_by"],
        row["occurred_at"],
    )


async def list_commendations(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM commendations ORDER BY occurred_at, id")


async def people_names(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every person's name and unit (rankings filtered by unit, exports)."""
    return await conn.fetch("SELECT id, name, unit_id FROM people")


async def unit_names(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name FROM units")
