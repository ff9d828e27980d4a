"""Per-request DataLoader of the up/down flags."""

from __future__ import annotations

import asyncpg
from strawberry.dataloader import DataLoader

from services.core.graphql import Context
from services.core.ids import valid_uuids
from services.evaluation.updown import store


def flags_loader(ctx: Context) -> DataLoader[str, list[asyncpg.Record]]:
    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_flags(conn, None, valid_uuids(keys))
        grouped: dict[str, list[asyncpg.Record]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["person_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader("FlagsByPersonLoader", lambda: DataLoader(load_fn=load))
