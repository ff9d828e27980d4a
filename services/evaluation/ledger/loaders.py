"""Per-request DataLoaders of the ledger and projection (people, items, scores, lines),
and the data the access rules need."""

from __future__ import annotations

from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

from services.core.auth import Principal
from services.core.graphql import Context
from services.core.ids import try_uuid, valid_uuids
from services.evaluation import access
from services.evaluation.ledger import store
from services.evaluation.periods import service as periods_service
from services.evaluation.periods import store as periods_store


def items_loader(ctx: Context) -> DataLoader[str, list[tuple[asyncpg.Record, str]]]:
    """Items each person owns (OWNER) or leads (LEADER), one query per batch."""

    async def load(keys: list[str]) -> list[list[tuple[asyncpg.Record, str]]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.items_of_people(conn, valid_uuids(keys))
        grouped: dict[str, list[tuple[asyncpg.Record, str]]] = {k: [] for k in keys}
        for r in rows:
            people = {str(o): "OWNER" for o in r["owner_ids"]}
            if r["responsible_leader_id"]:
                people.setdefault(str(r["responsible_leader_id"]), "LEADER")
            for person, role in people.items():
                if person in grouped:
                    grouped[person].append((r, role))
        return [grouped[k] for k in keys]

    return ctx.loader("ItemsByPersonLoader", lambda: DataLoader(load_fn=load))


def item_facts(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    """The facts the item-read rule needs, one query per batch of items."""

    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_item_facts(conn, valid_uuids(keys))
        by_id = {str(r["id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("ItemFactsLoader", lambda: DataLoader(load_fn=load))


async def may_read_item(ctx: Context, principal: Principal, item_id: str) -> bool | None:
    """``access.sees_item`` on the projection; None when the item is not projected."""
    facts = await item_facts(ctx).load(item_id)
    return None if facts is None else access.sees_item(principal, facts)


def score_by_person_id(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_scores_by_person_ids(conn, valid_uuids(keys))
        by_id = {str(r["person_id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("ScoreByPersonIdLoader", lambda: DataLoader(load_fn=load))


def people_loader(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.get_people(conn, valid_uuids(keys))
        by_id = {str(r["id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("PersonByIdLoader", lambda: DataLoader(load_fn=load))


def entries_loader(ctx: Context, period_id: str | None) -> DataLoader[str, list[asyncpg.Record]]:
    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            start = end = None
            if period_id:
                pid = try_uuid(period_id)
                period = await periods_store.get_period(conn, pid) if pid else None
                if period is not None:
                    start, end = periods_service.window(period["starts_on"], period["ends_on"])
            rows = await store.list_entries_by_person_ids(conn, valid_uuids(keys), start, end)
        grouped: dict[str, list[asyncpg.Record]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["person_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader(f"EntriesByPersonLoader:{period_id}", lambda: DataLoader(load_fn=load))


async def may_see_person(ctx: Context, principal: Principal, person_id: str) -> bool:
    """``access.may_see_person`` with the person's unit looked up when the rule needs it."""
    unit_id = None
    if access.needs_person_unit(principal, person_id):
        person = await people_loader(ctx).load(person_id)
        unit_id = str(person["unit_id"]) if person is not None and person["unit_id"] else None
    return access.may_see_person(principal, person_id, unit_id)


async def names(ctx: Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every person (name, unit) and unit (name) by id."""
    async with ctx.pool.acquire() as conn:
        people = {str(r["id"]): r for r in await store.people_names(conn)}
        units = {str(r["id"]): r for r in await store.unit_names(conn)}
    return people, units
