"""SQL of the rule settings: one versioned row per change, per source (or DEFAULT)."""

from __future__ import annotations

import asyncpg


async def list_current_rules(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The newest settings row of every source (including DEFAULT)."""
    return await conn.fetch(
        "SELECT DISTINCT ON (source) version, source, lag_tolerance, stall_cycles, created_at,"
        " created_by FROM rule_settings ORDER BY source, version DESC"
    )


def rules_for_source_sql(source: str) -> str:
    """The settings in force for ``source`` (an SQL expression: a parameter, or a column of
    the statement this sub-select is joined into): the source's newest row, else DEFAULT's."""
    return (
        "SELECT r.version, r.lag_tolerance, r.stall_cycles FROM rule_settings r"
        f" WHERE r.source = {source} OR r.source = 'DEFAULT'"
        " ORDER BY (r.source = 'DEFAULT'), r.version DESC LIMIT 1"
    )


async def get_rules_for_source(conn: asyncpg.Connection, source: str) -> asyncpg.Record | None:
    return await conn.fetchrow(rules_for_source_sql("$1"), source)


async def insert_rules(
    conn: asyncpg.Connection, source: str, lag_tolerance: int, stall_cycles: int, actor: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO rule_settings (source, lag_tolerance, stall_cycles, created_by)"
        " VALUES ($1, $2, $3, $4)"
        " RETURNING version, source, lag_tolerance, stall_cycles, created_at, created_by",
        source,
        lag_tolerance,
        stall_cycles,
        actor,
    )


REMINDER_COLUMNS = (
    "version, templates, notice_remind_workdays, notice_escalate_workdays, created_at, created_by"
)


async def latest_reminder_rules(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {REMINDER_COLUMNS} FROM reminder_rules ORDER BY version DESC LIMIT 1"
    )


async def lock_reminder_rules(conn: asyncpg.Connection) -> None:
    """Saves one after another (each merges into the version it read)."""
    await conn.execute("LOCK TABLE reminder_rules IN SHARE ROW EXCLUSIVE MODE")


async def insert_reminder_rules(
    conn: asyncpg.Connection,
    templates: dict[str, str],
    remind_workdays: int,
    escalate_workdays: int,
    actor: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO reminder_rules (templates, notice_remind_workdays, notice_escalate_workdays,"
        f" created_by) VALUES ($1, $2, $3, $4) RETURNING {REMINDER_COLUMNS}",
        templates,
        remind_workdays,
        escalate_workdays,
        actor,
    )
