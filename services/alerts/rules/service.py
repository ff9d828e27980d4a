"""Use-cases of the rule set: the thresholds in force per source, the reminder templates and
notice thresholds in force, and setting them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from services.alerts.colour import store as colour_store
from services.alerts.colour.domain import DEFAULT_RULES, RuleSettings
from services.alerts.rules import store
from services.alerts.rules.domain import (
    DEFAULT_REMINDER_RULES,
    ReminderRules,
    checked_source,
    next_reminder_rules,
)


def _rules(row: Mapping[str, Any] | None) -> RuleSettings:
    if row is None:
        return DEFAULT_RULES
    return RuleSettings(row["lag_tolerance"], row["stall_cycles"], row["version"])


async def rules_for(conn: asyncpg.Connection, source: str) -> RuleSettings:
    return _rules(await store.get_rules_for_source(conn, source))


def rules_read_with(row: Mapping[str, Any]) -> RuleSettings:
    """The settings a statement read along with its own row (``rules_version``,
    ``rules_lag_tolerance``, ``rules_stall_cycles``; NULL when no row is in force)."""
    if row["rules_version"] is None:
        return DEFAULT_RULES
    return RuleSettings(row["rules_lag_tolerance"], row["rules_stall_cycles"], row["rules_version"])


async def current_rules(conn: asyncpg.Connection) -> tuple[dict[str, RuleSettings], RuleSettings]:
    """(per-source settings, the DEFAULT settings) as they stand now."""
    rows = {r["source"]: _rules(r) for r in await store.list_current_rules(conn)}
    default = rows.pop("DEFAULT", DEFAULT_RULES)
    return rows, default


async def set_rules(
    pool: asyncpg.Pool, source: str, lag_tolerance: int, stall_cycles: int, actor: str
) -> asyncpg.Record:
    source = checked_source(source, lag_tolerance, stall_cycles)
    async with pool.acquire() as conn, conn.transaction():
        row = await store.insert_rules(conn, source, lag_tolerance, stall_cycles, actor)
        # the affected items are due at the next sweep
        await colour_store.mark_due(conn, None if source == "DEFAULT" else source)
        return row


def _reminder_rules(row: Mapping[str, Any] | None) -> ReminderRules:
    if row is None:
        return DEFAULT_REMINDER_RULES
    return ReminderRules(
        version=row["version"],
        templates=dict(row["templates"]),
        notice_remind_workdays=row["notice_remind_workdays"],
        notice_escalate_workdays=row["notice_escalate_workdays"],
        created_at=row["created_at"],
        created_by=row["created_by"],
    )


async def reminder_rules(conn: asyncpg.Connection) -> ReminderRules:
    """The reminder templates and notice thresholds in force (the defaults until the
    office saves its own)."""
    return _reminder_rules(await store.latest_reminder_rules(conn))


async def set_reminder_rules(
    pool: asyncpg.Pool,
    templates: Sequence[tuple[str, str]],
    remind_workdays: int | None,
    escalate_workdays: int | None,
    actor: str,
) -> ReminderRules:
    """A new version: the templates and thresholds given replace those in force, the rest
    are kept. Every template is checked first; a bad one saves nothing."""
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_reminder_rules(conn)
        current = await reminder_rules(conn)
        merged, remind, escalate = next_reminder_rules(
            current, templates, remind_workdays, escalate_workdays
        )
        row = await store.insert_reminder_rules(conn, merged, remind, escalate, actor)
        return _reminder_rules(row)
