"""Deliver envelopes to evaluation's handlers the way the consumer does (inbox + handler)."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from services.core.events import Envelope, EventContract
from services.evaluation.ledger.events import alert_handlers, task_handlers
from services.evaluation.rebuild.service import apply_batch

HANDLERS = {**task_handlers(), **alert_handlers()}


async def deliver(pool: asyncpg.Pool, events: Iterable[tuple[Envelope, EventContract]]) -> None:
    async with pool.acquire() as conn:
        await apply_batch(conn, [(env, ev, HANDLERS[env.type]) for env, ev in events])


async def total(pool: asyncpg.Pool, person_id: str) -> float:
    async with pool.acquire() as conn:
        value = await conn.fetchval(
            "SELECT coalesce(sum(points), 0)::float FROM ledger_entries WHERE person_id = $1",
            person_id,
        )
    return float(value)


async def rules_of(pool: asyncpg.Pool, person_id: str) -> list[tuple[str, float]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT rule, points::float AS points FROM ledger_entries WHERE person_id = $1"
            " ORDER BY id",
            person_id,
        )
    return [(r["rule"], r["points"]) for r in rows]
