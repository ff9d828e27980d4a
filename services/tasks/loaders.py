"""Per-request DataLoaders of the entities every feature's types resolve (units, people,
items by id): one SQL query per batch of keys, results in key order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from services.core.graphql import Context
from services.core.ids import valid_uuids
from services.tasks.items.store import list_items_by_ids
from services.tasks.org.store import list_people_by_ids, list_units_by_ids

# (connection, ids) -> rows; the stores' list_*_by_ids
Fetch = Callable[[Any, list[UUID]], Awaitable[list[Any]]]


def _by_id_loader(pool: Any, fetch: Fetch) -> DataLoader[str, Any]:
    async def load(keys: list[str]) -> list[Any]:
        ids = valid_uuids(keys)
        async with pool.acquire() as conn:
            rows = {str(r["id"]): r for r in await fetch(conn, ids)}
        return [rows.get(str(k)) for k in keys]

    return DataLoader(load_fn=load)


def unit_by_id(ctx: Context) -> DataLoader[str, Any]:
    return ctx.loader("UnitByIdLoader", lambda: _by_id_loader(ctx.pool, list_units_by_ids))


def person_by_id(ctx: Context) -> DataLoader[str, Any]:
    return ctx.loader("PersonByIdLoader", lambda: _by_id_loader(ctx.pool, list_people_by_ids))


def item_by_id(ctx: Context) -> DataLoader[str, Any]:
    return ctx.loader("ItemByIdLoader", lambda: _by_id_loader(ctx.pool, list_items_by_ids))
