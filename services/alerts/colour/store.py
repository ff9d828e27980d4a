"""SQL of the colour engine: the item projection, colour history, counts, the rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.alerts.rules.store import rules_for_source_sql
from services.core.access import Scope

OPEN = "state NOT IN ('COMPLETED', 'CANCELLED', 'SUSPENDED', 'DRAFT')"

# What the colour rule reads, plus what a change event carries.
FACT_COLUMNS = (
    "id, code, title, source, state, start_date, deadline, reporting_cycle, plan_nodes, units,"
    " lead_unit_id, unit_ids, responsible_leader_id, owner_ids, version, level, level_version"
)


async def get_item_for_update(conn: asyncpg.Connection, item_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {FACT_COLUMNS} FROM items WHERE id = $1 FOR UPDATE", item_id
    )


async def upsert_facts(
    conn: asyncpg.Connection,
    snapshot: dict[str, Any],
    version: int,
    units: list[dict[str, Any]],
    last_report_at: datetime | None,
) -> asyncpg.Record:
    """Write the item's facts from a tasks snapshot; the colour columns are left alone.
    Returns the row as ``get_item_facts`` reads it, with the rule settings in force for its
    source (``rules_version``, ``rules_lag_tolerance``, ``rules_stall_cycles``): no second
    read and no rules read to evaluate it (ADR 0020)."""
    return await conn.fetchrow(  # type: ignore[no-any-return]
        "WITH up AS (INSERT INTO items (id, code, title, source, state, start_date, deadline,"
        " original_deadline, lead_unit_id, co_unit_ids, snapshot, version, reporting_cycle,"
        " plan_nodes, units, last_report_at, responsible_leader_id, owner_ids)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, title = EXCLUDED.title,"
        "  source = EXCLUDED.source, state = EXCLUDED.state, start_date = EXCLUDED.start_date,"
        "  deadline = EXCLUDED.deadline, original_deadline = EXCLUDED.original_deadline,"
        "  lead_unit_id = EXCLUDED.lead_unit_id, co_unit_ids = EXCLUDED.co_unit_ids,"
        "  snapshot = EXCLUDED.snapshot, version = EXCLUDED.version,"
        "  reporting_cycle = EXCLUDED.reporting_cycle, plan_nodes = EXCLUDED.plan_nodes,"
        "  units = EXCLUDED.units, last_report_at = EXCLUDED.last_report_at,"
        "  responsible_leader_id = EXCLUDED.responsible_leader_id,"
        "  owner_ids = EXCLUDED.owner_ids, updated_at = now()"
        f" RETURNING {FACT_COLUMNS})"
        " SELECT up.*, rules.version AS rules_version,"
        "  rules.lag_tolerance AS rules_lag_tolerance, rules.stall_cycles AS rules_stall_cycles"
        f" FROM up LEFT JOIN LATERAL ({rules_for_source_sql('up.source')}) rules ON true",
        UUID(snapshot["id"]),
        snapshot["code"],
        snapshot["title"],
        snapshot["source"],
        snapshot["state"],
        date.fromisoformat(snapshot["start_date"]),
        date.fromisoformat(snapshot["deadline"]),
        date.fromisoformat(snapshot["original_deadline"]),
        UUID(snapshot["lead_unit_id"]),
        [UUID(u) for u in snapshot.get("co_unit_ids", [])],
        snapshot,
        version,
        snapshot.get("reporting_cycle", "WEEKLY"),
        snapshot.get("plan_nodes", []),
        units,
        last_report_at,
        UUID(snapshot["responsible_leader_id"]) if snapshot.get("responsible_leader_id") else None,
        [UUID(u) for u in snapshot.get("owner_ids", [])],
    )


async def get_item_facts(conn: asyncpg.Connection, item_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {FACT_COLUMNS} FROM items WHERE id = $1", item_id)


async def list_open_items_after(
    conn: asyncpg.Connection, after: UUID, limit: int
) -> list[asyncpg.Record]:
    """One keyset page of open items for the sweep (index items_open)."""
    return await conn.fetch(
        "SELECT id, source, state, start_date, deadline, reporting_cycle, plan_nodes, units,"
        f" level, version, level_version, recheck_on FROM items WHERE {OPEN} AND id > $1"
        " ORDER BY id LIMIT $2",
        after,
        limit,
    )


async def list_due_items_after(
    conn: asyncpg.Connection, due_by: date, after: tuple[date, UUID], limit: int
) -> list[asyncpg.Record]:
    """One keyset page of open items whose recheck day has come (index items_due)."""
    return await conn.fetch(
        "SELECT id, source, state, start_date, deadline, reporting_cycle, plan_nodes, units,"
        f" level, version, level_version, recheck_on FROM items WHERE {OPEN}"
        " AND recheck_on <= $1 AND (recheck_on, id) > ($2, $3)"
        " ORDER BY recheck_on, id LIMIT $4",
        due_by,
        after[0],
        after[1],
        limit,
    )


async def set_recheck_days(
    conn: asyncpg.Connection, rows: Sequence[tuple[UUID, date, int]]
) -> None:
    """Unchanged items of a sweep batch: only the next recheck day moves (same version)."""
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    await conn.execute(
        "UPDATE items i SET recheck_on = c.r FROM unnest($1::uuid[], $2::date[], $3::bigint[])"
        " AS c(id, r, v) WHERE i.id = c.id AND i.version = c.v",
        list(cols[0]),
        list(cols[1]),
        list(cols[2]),
    )


async def mark_due(conn: asyncpg.Connection, source: str | None) -> int:
    """Make open items (of one source, or all) due for the next sweep."""
    status = await conn.execute(
        f"UPDATE items SET recheck_on = '1970-01-01' WHERE {OPEN}"
        " AND ($1::text IS NULL OR source = $1) AND recheck_on <> '1970-01-01'",
        source,
    )
    return int(status.split()[-1])


async def set_evaluation(
    conn: asyncpg.Connection,
    item_id: UUID,
    level: str | None,
    reason: str,
    planned: float | None,
    reported: int | None,
    rule_version: int,
    now: datetime,
    recheck: date,
) -> asyncpg.Record | None:
    """Record an evaluation, and when the colour changed close the item's open history row
    and open one for the new colour (as ``append_history`` does), all in one statement
    (ADR 0020). Returns the row with ``changed``, ``previous_level`` and the event fields;
    None when the item is not projected."""
    return await conn.fetchrow(
        "WITH prev AS (SELECT id, level FROM items WHERE id = $1 FOR UPDATE),"
        " upd AS (UPDATE items i SET reason = $3, planned_percent = $4, reported_percent = $5,"
        "  rule_version = $6, evaluated_at = $7, recheck_on = $8,"
        "  level = $2,"
        "  level_since = CASE WHEN prev.level IS DISTINCT FROM $2 THEN $7 ELSE i.level_since END,"
        "  level_version = i.level_version + (prev.level IS DISTINCT FROM $2)::int"
        "  FROM prev WHERE i.id = prev.id"
        "  RETURNING (prev.level IS DISTINCT FROM $2) AS changed, prev.level AS previous_level,"
        "  i.rule_version,"
        f" {', '.join('i.' + c.strip() for c in FACT_COLUMNS.split(','))}),"
        # the open row is closed before the new one meets the unique index of open rows
        " closed AS (UPDATE level_history SET ended_at = $7 WHERE item_id = $1"
        "  AND ended_at IS NULL AND EXISTS (SELECT 1 FROM upd WHERE changed) RETURNING 1),"
        " opened AS (INSERT INTO level_history (item_id, level, previous_level, reason,"
        "  rule_version, started_at) SELECT id, level, previous_level, $3, rule_version, $7"
        "  FROM upd WHERE changed AND level IS NOT NULL AND (SELECT count(*) FROM closed) >= 0)"
        " SELECT * FROM upd",
        item_id,
        level,
        reason,
        planned,
        reported,
        rule_version,
        now,
        recheck,
    )


async def apply_level_changes(
    conn: asyncpg.Connection,
    changes: Sequence[tuple[UUID, str | None, str, int, int, int, float | None, int | None, date]],
    now: datetime,
) -> list[asyncpg.Record]:
    """Set-based colour update for a sweep batch.

    Each change is (id, level, reason, rule_version, seen version, seen level_version,
    planned, reported, next recheck day); a row whose facts or colour moved since it was read (a consumer
    got there first) is left alone. Returns the rows that changed, with the event fields.
    """
    if not changes:
        return []
    cols = list(zip(*changes, strict=True))
    return await conn.fetch(
        "WITH c AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[],"
        "   $5::bigint[], $6::bigint[], $7::real[], $8::int[], $9::date[])"
        "   AS c(id, level, reason, rule_version, version, level_version, planned, reported,"
        "   recheck)),"
        " prev AS (SELECT i.id, i.level FROM items i JOIN c USING (id)"
        "   WHERE i.version = c.version AND i.level_version = c.level_version"
        "   ORDER BY i.id FOR UPDATE OF i)"
        " UPDATE items i SET level = c.level, reason = c.reason, rule_version = c.rule_version,"
        "  planned_percent = c.planned, reported_percent = c.reported, evaluated_at = $10,"
        "  level_since = $10, level_version = i.level_version + 1, recheck_on = c.recheck"
        " FROM c JOIN prev USING (id) WHERE i.id = c.id AND prev.level IS DISTINCT FROM c.level"
        " RETURNING prev.level AS previous_level, i.rule_version,"
        f" {', '.join('i.' + c.strip() for c in FACT_COLUMNS.split(','))}, i.reason",
        list(cols[0]),
        list(cols[1]),
        list(cols[2]),
        list(cols[3]),
        list(cols[4]),
        list(cols[5]),
        list(cols[6]),
        list(cols[7]),
        list(cols[8]),
        now,
    )


async def append_history(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[UUID, str | None, str | None, str, int]],
    now: datetime,
) -> None:
    """Close each item's open history row and open one for the new colour (if any)."""
    if not rows:
        return
    # One round trip. The INSERT waits for the count of closed rows (an init plan run before
    # its first row), so the open rows are closed before the new ones meet the unique index
    # of open rows; the UPDATE sees only rows from before the statement.
    cols = list(zip(*rows, strict=True))
    await conn.execute(
        "WITH closed AS (UPDATE level_history SET ended_at = $6"
        "  WHERE item_id = ANY($1::uuid[]) AND ended_at IS NULL RETURNING 1)"
        " INSERT INTO level_history (item_id, level, previous_level, reason, rule_version,"
        " started_at) SELECT id, level, prev, reason, rv, $6 FROM unnest($1::uuid[],"
        " $2::text[], $3::text[], $4::text[], $5::bigint[]) AS t(id, level, prev, reason, rv)"
        " WHERE level IS NOT NULL AND (SELECT count(*) FROM closed) >= 0",
        list(cols[0]),
        list(cols[1]),
        list(cols[2]),
        list(cols[3]),
        list(cols[4]),
        now,
    )


async def list_history_by_item_ids(
    conn: asyncpg.Connection, ids: list[UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT item_id, level, previous_level, reason, rule_version, started_at, ended_at"
        " FROM level_history WHERE item_id = ANY($1::uuid[]) ORDER BY item_id, started_at, id",
        ids,
    )


async def list_alerts_by_item_ids(
    conn: asyncpg.Connection, ids: list[UUID]
) -> list[asyncpg.Record]:
    """Each item's colour, with the facts the item-read rule needs (units, people)."""
    return await conn.fetch(
        "SELECT id, level, reason, level_since, rule_version, planned_percent, reported_percent,"
        " lead_unit_id, co_unit_ids, owner_ids, responsible_leader_id"
        " FROM items WHERE id = ANY($1::uuid[])",
        ids,
    )


def visible(scope: Scope | None, first: int) -> tuple[str, list[Any]]:
    """SQL condition and its arguments ($first, $first+1, $first+2): the items ``scope``
    (``services.core.access.list_scope``) lets the caller read."""
    return (
        f"(${first}::boolean OR unit_ids && ${first + 1}::uuid[]"
        f" OR ${first + 2}::uuid = ANY(owner_ids) OR responsible_leader_id = ${first + 2}::uuid)",
        [scope is None, scope.unit_ids if scope else [], scope.person_id if scope else None],
    )


async def count_by_level(
    conn: asyncpg.Connection,
    scope: Scope | None,
    unit_id: UUID | None = None,
    source: str | None = None,
) -> list[asyncpg.Record]:
    """Open items per colour among those the caller reads (of one unit, one source)."""
    cond, args = visible(scope, 3)
    return await conn.fetch(
        "SELECT level, count(*) AS n FROM items WHERE level IS NOT NULL"
        " AND ($1::uuid IS NULL OR $1::uuid = ANY(unit_ids))"
        f" AND ($2::text IS NULL OR source = $2) AND {cond} GROUP BY level",
        unit_id,
        source,
        *args,
    )


async def count_by_unit(
    conn: asyncpg.Connection, unit_ids: list[UUID] | None = None
) -> list[asyncpg.Record]:
    """Counts per (unit, colour) and the oldest ``level_since`` of each; an item counts for
    its lead unit and each co-unit."""
    return await conn.fetch(
        "SELECT u AS unit_id, level, count(*) AS n, min(level_since) AS oldest_since"
        " FROM items, unnest(unit_ids) AS u"
        " WHERE level IS NOT NULL AND ($1::uuid[] IS NULL OR u = ANY($1::uuid[]))"
        " GROUP BY u, level ORDER BY u, level",
        unit_ids,
    )


async def count_by_source(conn: asyncpg.Connection, scope: Scope | None) -> list[asyncpg.Record]:
    cond, args = visible(scope, 1)
    return await conn.fetch(
        f"SELECT source, level, count(*) AS n FROM items WHERE level IS NOT NULL AND {cond}"
        " GROUP BY source, level ORDER BY source, level",
        *args,
    )


async def list_items_by_level(
    conn: asyncpg.Connection,
    level: str,
    newest_first: bool,
    limit: int,
    scope: Scope | None,
    unit_id: UUID | None = None,
) -> list[asyncpg.Record]:
    order = "DESC" if newest_first else "ASC"
    cond, args = visible(scope, 4)
    return await conn.fetch(
        "SELECT id, code, title, source, level, reason, level_since, deadline, unit_ids"
        " FROM items WHERE level = $1 AND ($3::uuid IS NULL OR $3::uuid = ANY(unit_ids))"
        f" AND {cond} ORDER BY level_since {order}, id LIMIT $2",
        level,
        limit,
        unit_id,
        *args,
    )


async def list_items_filtered(
    conn: asyncpg.Connection,
    levels: Sequence[str],
    limit: int,
    scope: Scope | None,
    unit_id: UUID | None = None,
    sources: Sequence[str] | None = None,
    year: int | None = None,
) -> list[asyncpg.Record]:
    """Open items of the given colours the caller reads, of one unit, some sources and the
    year of their start date; the most recent colour change first."""
    cond, args = visible(scope, 6)
    return await conn.fetch(
        "SELECT id, code, title, source, level, reason, level_since, deadline, unit_ids"
        f" FROM items WHERE level = ANY($1::text[]) AND {OPEN}"
        " AND ($3::uuid IS NULL OR $3::uuid = ANY(unit_ids))"
        " AND ($4::text[] IS NULL OR source = ANY($4::text[]))"
        " AND ($5::int IS NULL OR extract(year FROM start_date)::int = $5)"
        f" AND {cond} ORDER BY level_since DESC NULLS LAST, id LIMIT $2",
        list(levels),
        limit,
        unit_id,
        list(sources) if sources else None,
        year,
        *args,
    )


# -- rebuild (``ducha alerts-rebuild``) ---------------------------------------------------


async def lock_items(conn: asyncpg.Connection) -> None:
    """Keep the live consumer off the projection until the caller's transaction ends."""
    await conn.execute("LOCK TABLE items IN EXCLUSIVE MODE")


async def save_colours(conn: asyncpg.Connection) -> None:
    """Keep the current colours aside in a temporary table (dropped at commit)."""
    await conn.execute(
        "CREATE TEMP TABLE saved_colours ON COMMIT DROP AS SELECT id, level, reason,"
        " level_since, level_version, rule_version, evaluated_at, planned_percent,"
        " reported_percent FROM items"
    )


async def delete_items(conn: asyncpg.Connection) -> None:
    await conn.execute("DELETE FROM items")


async def delete_item_versions(conn: asyncpg.Connection) -> None:
    """Forget the items' aggregate versions (of the saved items only)."""
    # only the items' version markers: people and units (reminders) keep theirs
    await conn.execute(
        "DELETE FROM aggregate_versions WHERE aggregate_id IN"
        " (SELECT 'tasks:' || id::text FROM saved_colours)"
    )


async def restore_colours(conn: asyncpg.Connection) -> None:
    """Put the saved colours back on the rebuilt items."""
    await conn.execute(
        "UPDATE items i SET level = s.level, reason = s.reason, level_since = s.level_since,"
        " level_version = s.level_version, rule_version = s.rule_version,"
        " evaluated_at = s.evaluated_at, planned_percent = s.planned_percent,"
        " reported_percent = s.reported_percent FROM saved_colours s WHERE s.id = i.id"
    )


async def count_items(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM items"))
