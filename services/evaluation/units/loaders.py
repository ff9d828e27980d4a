"""Per-request computation of a period's unit evaluation, shared by every field."""

from __future__ import annotations

import asyncio
from uuid import UUID

from services.core.graphql import Context
from services.evaluation.periods import store as periods_store
from services.evaluation.units import service
from services.evaluation.units.domain import UnitResult


async def unit_results_for(ctx: Context, period_id: UUID) -> dict[str, UnitResult] | None:
    async def compute() -> dict[str, UnitResult] | None:
        async with ctx.pool.acquire() as conn:
            period = await periods_store.get_period(conn, period_id)
            if period is None:
                return None
            return {r.unit_id: r for r in await service.unit_results(conn, period)}

    task = ctx.loader(f"UnitResults:{period_id}", lambda: asyncio.ensure_future(compute()))
    return await asyncio.shield(task)  # type: ignore[no-any-return]
