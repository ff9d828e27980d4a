"""Per-request DataLoaders: one SQL query per batch of keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from strawberry.dataloader import DataLoader

from services.alerts.colour import store
from services.core.graphql import Context
from services.core.ids import valid_uuids


def alert_by_item_id(ctx: Context) -> DataLoader[str, Mapping[str, Any] | None]:
    async def load(keys: list[str]) -> list[Mapping[str, Any] | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_alerts_by_item_ids(conn, valid_uuids(keys))
        by_id = {str(r["id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("AlertByItemIdLoader", lambda: DataLoader(load_fn=load))  # type: ignore[no-any-return]


def history_by_item_id(ctx: Context) -> DataLoader[str, list[Mapping[str, Any]]]:
    async def load(keys: list[str]) -> list[list[Mapping[str, Any]]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_history_by_item_ids(conn, valid_uuids(keys))
        by_id: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for r in rows:
            by_id[str(r["item_id"])].append(r)
        return [by_id.get(k, []) for k in keys]

    return ctx.loader("HistoryByItemIdLoader", lambda: DataLoader(load_fn=load))  # type: ignore[no-any-return]


def counts_by_unit_id(ctx: Context) -> DataLoader[str, list[tuple[str, int]]]:
    async def load(keys: list[str]) -> list[list[tuple[str, int]]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.count_by_unit(conn, valid_uuids(keys))
        by_id: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r in rows:
            by_id[str(r["unit_id"])].append((r["level"], r["n"]))
        return [by_id.get(k, []) for k in keys]

    return ctx.loader("CountsByUnitIdLoader", lambda: DataLoader(load_fn=load))  # type: ignore[no-any-return]
