"""SQL of the rebuild: a fresh schema with the office's records, the inbox, bulk copies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

OFFICE_TABLES = (
    "rule_sets",
    "periods",
    "selection_components",
    "unit_surveys",
    "unit_vetoes",
    "commendations",
    "exemptions",
)
ITEM_COLUMNS = (
    "id",
    "code",
    "title",
    "state",
    "importance",
    "difficulty",
    "deadline",
    "original_deadline",
    "lead_unit_id",
    "responsible_leader_id",
    "owner_ids",
    "created_at",
    "completed_at",
    "outcome",
    "days_overdue",
    "extensions",
    "verifications_passed",
    "verifications_disputed",
    "level",
    "level_since",
    "version",
)


ENTRY_COLUMNS = (
    "person_id",
    "item_id",
    "event_id",
    "rule",
    "points",
    "explanation",
    "occurred_at",
    "rule_version",
    "unit_id",
)


async def drop_schema(conn: asyncpg.Connection, schema: str) -> None:
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def copy_office_tables(conn: asyncpg.Connection, source: str, target: str) -> None:
    """The office's own records (rule sets, periods, inputs, exemptions) as they are live."""
    for table in OFFICE_TABLES:
        await conn.execute(f'INSERT INTO "{target}".{table} SELECT * FROM "{source}".{table}')


async def mark_processed(conn: asyncpg.Connection, event_id: UUID, event_type: str) -> bool:
    """The consumer's inbox row; False when the event was already applied."""
    fresh = await conn.fetchval(
        "INSERT INTO processed_events (event_id, event_type) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        event_id,
        event_type,
    )
    return bool(fresh)


async def copy_replay(
    conn: asyncpg.Connection,
    *,
    units: list[tuple[Any, ...]],
    people: list[tuple[Any, ...]],
    items: list[tuple[Any, ...]],
    item_units: list[tuple[Any, ...]],
    colour_spans: list[tuple[Any, ...]],
    entries: list[tuple[Any, ...]],
    processed: list[tuple[Any, ...]],
    versions: list[tuple[Any, ...]],
) -> None:
    """Bulk-copy a replayed projection and ledger into the (fresh) schema, one transaction."""
    async with conn.transaction():
        await conn.copy_records_to_table("units", records=units)
        await conn.copy_records_to_table(
            "people",
            records=people,
            columns=["id", "name", "unit_id", "rank", "roles", "active"],
        )
        await conn.copy_records_to_table(
            "items",
            records=items,
            columns=list(ITEM_COLUMNS),
        )
        await conn.copy_records_to_table(
            "item_units",
            records=item_units,
            columns=[
                "item_id",
                "unit_id",
                "role",
                "state",
                "percent",
                "completed_at",
                "outcome",
                "days_overdue",
            ],
        )
        await conn.copy_records_to_table(
            "item_colour_spans",
            records=colour_spans,
            columns=["item_id", "level", "started_at", "ended_at"],
        )
        await conn.copy_records_to_table(
            "ledger_entries", records=entries, columns=list(ENTRY_COLUMNS)
        )
        await conn.copy_records_to_table(
            "processed_events",
            records=processed,
            columns=["event_id", "event_type"],
        )
        await conn.copy_records_to_table(
            "aggregate_versions",
            records=versions,
            columns=["aggregate_id", "version"],
        )
