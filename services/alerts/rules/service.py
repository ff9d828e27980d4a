"""Use-cases of the rule settings: the thresholds in force per source, and setting them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from services.alerts.colour import store as colour_store
from services.alerts.colour.domain import DEFAULT_RULES, RuleSettings
from services.alerts.rules import store
from services.alerts.rules.domain import checked_source


def _rules(row: Mapping[str, Any] | None) -> RuleSettings:
    if row is None:
        return DEFAULT_RULES
    return RuleSettings(row["lag_tolerance"], row["stall_cycles"], row["version"])


async def rules_for(conn: asyncpg.Connection, source: str) -> RuleSettings:
    return _rules(await store.get_rules_for_source(conn, source))


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
