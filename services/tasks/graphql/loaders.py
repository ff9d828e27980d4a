"""Per-request DataLoaders: one SQL query per batch of keys, results in key order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from services.core.graphql import Context
from services.tasks import store

Fetch = Callable[[asyncpg.Connection, list[UUID]], Awaitable[list[asyncpg.Record]]]


def _parse(key: str) -> UUID | None:
    try:
        return UUID(str(key))
    except ValueError:
        return None


def _by_id_loader(pool: asyncpg.Pool, fetch: Fetch) -> DataLoader[str, Any]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        ids = [u for k in keys if (u := _parse(k)) is not None]
        async with pool.acquire() as conn:
            rows = {str(r["id"]): r for r in await fetch(conn, ids)}
        return [rows.get(str(k)) for k in keys]

    return DataLoader(load_fn=load)


def unit_by_id(ctx: Context) -> DataLoader[str, Any]:
    return ctx.loader("UnitByIdLoader", lambda: _by_id_loader(ctx.pool, store.list_units_by_ids))


def person_by_id(ctx: Context) -> DataLoader[str, Any]:
    return ctx.loader("PersonByIdLoader", lambda: _by_id_loader(ctx.pool, store.list_people_by_ids))


def item_by_id(ctx: Context) -> DataLoader[str, Any]:
    return ctx.loader("ItemByIdLoader", lambda: _by_id_loader(ctx.pool, store.list_items_by_ids))
