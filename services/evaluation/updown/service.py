"""Use-cases of the up/down rules: evaluate a period's flags (with earlier periods)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.evaluation.periods import store as periods_store
from services.evaluation.periods.service import cadre_standings, require_period
from services.evaluation.rules.service import current_rule_set
from services.evaluation.updown import domain as updown
from services.evaluation.updown import store


async def evaluate_flags(conn: asyncpg.Connection, period: asyncpg.Record) -> list[updown.Flag]:
    """Run the up/down rules for the period (with earlier periods of its kind) and store flags."""
    rules = (await current_rule_set(conn, "UP_DOWN")).body
    needed = max([int(r.get("periods", 1)) for r in rules] + [1])
    earlier = list(
        reversed(
            await periods_store.previous_periods(
                conn, period["kind"], period["starts_on"], needed - 1
            )
        )
    )
    series = []
    for p in [*earlier, period]:
        standings = await cadre_standings(conn, p)
        series.append(
            (
                p["name"],
                [
                    updown.Standing(s.person_id, s.rank, s.red_items, tuple(s.red_item_ids))
                    for s in standings
                ],
            )
        )
    flags = updown.evaluate_flags(rules, series)
    await store.replace_flags(
        conn,
        period["id"],
        [(period["id"], UUID(f.person_id), f.rule_code, f.direction, f.evidence) for f in flags],
    )
    return flags


async def evaluate_flags_now(pool: asyncpg.Pool, period_id: UUID) -> list[updown.Flag]:
    async with pool.acquire() as conn, conn.transaction():
        return await evaluate_flags(conn, await require_period(conn, period_id))
