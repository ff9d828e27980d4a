"""Per-request computation of a period's cadre ranking, shared by every field."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from services.core.graphql import Context
from services.evaluation.periods import service, store
from services.evaluation.periods.domain import CadreStanding


async def standings_for(
    ctx: Context, period_id: UUID
) -> tuple[asyncpg.Record, dict[str, CadreStanding]] | None:
    """One computation of a period's ranking per request, shared by every field."""

    async def compute() -> tuple[asyncpg.Record, dict[str, CadreStanding]] | None:
        async with ctx.pool.acquire() as conn:
            period = await store.get_period(conn, period_id)
            if period is None:
                return None
            standings = await service.cadre_standings(conn, period)
        return period, {s.person_id: s for s in standings}

    task = ctx.loader(f"Standings:{period_id}", lambda: asyncio.ensure_future(compute()))
    return await asyncio.shield(task)  # type: ignore[no-any-return]
