"""Closing a period: freeze its cadre and unit rankings, raise the up/down flags and emit
PeriodClosed and the published unit ranking (one RankingPublished per unit), in one
transaction (above the periods, units and updown use-cases)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from uuid import UUID

import asyncpg

from services.contracts.evaluation import PeriodClosed, RankingPublished
from services.core.errors import InvalidTransition, NotFound
from services.core.outbox import record_event
from services.evaluation.periods import store
from services.evaluation.periods.cache import invalidate_standings
from services.evaluation.periods.service import cadre_standings
from services.evaluation.units import store as units_store
from services.evaluation.units.service import unit_results
from services.evaluation.updown.service import evaluate_flags


async def close_period(pool: asyncpg.Pool, period_id: UUID, now: datetime) -> asyncpg.Record:
    """Freeze the period's cadre and unit rankings, raise flags, emit PeriodClosed and
    one RankingPublished per ranked unit."""
    async with pool.acquire() as conn, conn.transaction():
        period = await store.get_period(conn, period_id)
        if period is None:
            raise NotFound("考核期不存在", field="id")
        period = await store.get_period_for_update(conn, period_id)
        assert period is not None
        if period["state"] != "OPEN":
            raise InvalidTransition("考核期已关闭", current_state=period["state"], field="id")
        invalidate_standings()  # freeze what the ledger says now, not a cached copy
        standings = await cadre_standings(conn, period)
        await store.save_person_scores(
            conn,
            [
                (
                    period_id,
                    UUID(s.person_id),
                    s.group,
                    s.score,
                    s.entries,
                    s.rank,
                    s.rank_in_group,
                    s.normalised,
                    s.composite,
                    s.red_items,
                )
                for s in standings
            ],
        )
        units = await unit_results(conn, period)
        await units_store.save_unit_scores(
            conn,
            [
                (
                    period_id,
                    UUID(u.unit_id),
                    u.category,
                    {
                        "workload_score": u.workload_score,
                        "difficulty_score": u.difficulty_score,
                        "effect_score": u.effect_score,
                        "failed": u.failed,
                        "veto_reason": u.veto_reason,
                        "lines": u.lines,
                    },
                    u.total,
                    u.rank,
                )
                for u in units
            ],
        )
        await evaluate_flags(conn, period)
        closed = await store.mark_closed(conn, period_id, now)
        await record_event(
            conn,
            PeriodClosed(
                period_id=str(period_id),
                name=closed["name"],
                starts_on=closed["starts_on"],
                ends_on=closed["ends_on"],
            ).envelope(str(period_id), 2),
        )
        ranked = Counter(u.category for u in units)
        for u in units:
            await record_event(
                conn,
                RankingPublished(
                    period_id=str(period_id),
                    name=closed["name"],
                    starts_on=closed["starts_on"],
                    ends_on=closed["ends_on"],
                    unit_id=u.unit_id,
                    category=u.category,
                    rank=u.rank,
                    ranked=ranked[u.category],
                    total=u.total,
                    failed=u.failed,
                    published_at=now,
                ).envelope(f"{period_id}/ranking/{u.unit_id}", 1, occurred_at=now),
            )
        return closed
