"""Per-request DataLoaders: one SQL query per batch of keys."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from services.alerts import store
from services.core.graphql import Context


def _uuids(keys: list[str]) -> list[UUID]:
    out = []
    for k in keys:
        try:
            out.append(UUID(k))
        except ValueError:
            continue
    return out


def alert_by_item_id(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_alerts_by_item_ids(conn, _uuids(keys))
        by_id = {str(r["id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("AlertByItemIdLoader", lambda: DataLoader(load_fn=load))  # type: ignore[no-any-return]


def history_by_item_id(ctx: Context) -> DataLoader[str, list[asyncpg.Record]]:
    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_history_by_item_ids(conn, _uuids(keys))
        by_id: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for r in rows:
            by_id[str(r["item_id"])].append(r)
        return [by_id.get(k, []) for k in keys]

    return ctx.loader("HistoryByItemIdLoader", lambda: DataLoader(load_fn=load))  # type: ignore[no-any-return]


def counts_by_unit_id(ctx: Context) -> DataLoader[str, list[tuple[str, int]]]:
    async def load(keys: list[str]) -> list[list[tuple[str, int]]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.count_by_unit(conn, _uuids(keys))
        by_id: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r in rows:
            by_id[str(r["unit_id"])].append((r["level"], r["n"]))
        return [by_id.get(k, []) for k in keys]

    return ctx.loader("CountsByUnitIdLoader", lambda: DataLoader(load_fn=load))  # type: ignore[no-any-return]
