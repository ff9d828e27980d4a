"""Per-request DataLoaders and shared computations of the evaluation subgraph."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from services.core.auth import Principal, Role
from services.core.graphql import Context
from services.evaluation import service, store, store_periods
from services.evaluation.domain.units import UnitResult


def _uuids(keys: list[str]) -> list[UUID]:
    """The keys that are UUIDs; any other key simply finds nothing."""
    out = []
    for k in keys:
        try:
            out.append(UUID(str(k)))
        except ValueError:
            continue
    return out


def items_loader(ctx: Context) -> DataLoader[str, list[tuple[asyncpg.Record, str]]]:
    """Items each person owns (OWNER) or leads (LEADER), one query per batch."""

    async def load(keys: list[str]) -> list[list[tuple[asyncpg.Record, str]]]:
        async with ctx.pool.acquire() as conn:
            rows = await store.items_of_people(conn, _uuids(keys))
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


def score_by_person_id(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_scores_by_person_ids(conn, _uuids(keys))
        by_id = {str(r["person_id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("ScoreByPersonIdLoader", lambda: DataLoader(load_fn=load))


def people_loader(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.get_people(conn, _uuids(keys))
        by_id = {str(r["id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("PersonByIdLoader", lambda: DataLoader(load_fn=load))


def entries_loader(ctx: Context, period_id: str | None) -> DataLoader[str, list[asyncpg.Record]]:
    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            start = end = None
            if period_id:
                pid = _uuids([period_id])
                period = await store_periods.get_period(conn, pid[0]) if pid else None
                if period is not None:
                    start, end = service.window(period["starts_on"], period["ends_on"])
            rows = await store.list_entries_by_person_ids(conn, _uuids(keys), start, end)
        grouped: dict[str, list[asyncpg.Record]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["person_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader(f"EntriesByPersonLoader:{period_id}", lambda: DataLoader(load_fn=load))


def flags_loader(ctx: Context) -> DataLoader[str, list[asyncpg.Record]]:
    async def load(keys: list[str]) -> list[list[asyncpg.Record]]:
        async with ctx.pool.acquire() as conn:
            rows = await store_periods.list_flags(conn, None, _uuids(keys))
        grouped: dict[str, list[asyncpg.Record]] = {k: [] for k in keys}
        for r in rows:
            grouped[str(r["person_id"])].append(r)
        return [grouped[k] for k in keys]

    return ctx.loader("FlagsByPersonLoader", lambda: DataLoader(load_fn=load))


async def standings_for(
    ctx: Context, period_id: UUID
) -> tuple[asyncpg.Record, dict[str, service.CadreStanding]] | None:
    """One computation of a period's ranking per request, shared by every field."""

    async def compute() -> tuple[asyncpg.Record, dict[str, service.CadreStanding]] | None:
        async with ctx.pool.acquire() as conn:
            period = await store_periods.get_period(conn, period_id)
            if period is None:
                return None
            standings = await service.cadre_standings(conn, period)
        return period, {s.person_id: s for s in standings}

    task = ctx.loader(f"Standings:{period_id}", lambda: asyncio.ensure_future(compute()))
    return await asyncio.shield(task)  # type: ignore[no-any-return]


async def may_see_person(ctx: Context, principal: Principal, person_id: str) -> bool:
    """Cadres see their own file, unit heads their unit's cadres, the office and leaders all."""
    if principal.sees_everything or principal.subject == person_id:
        return True
    if principal.has(Role.UNIT_HEAD) and principal.unit_ids:
        person = await people_loader(ctx).load(person_id)
        return person is not None and str(person["unit_id"]) in principal.unit_ids
    return False


async def unit_results_for(ctx: Context, period_id: UUID) -> dict[str, UnitResult] | None:
    async def compute() -> dict[str, UnitResult] | None:
        async with ctx.pool.acquire() as conn:
            period = await store_periods.get_period(conn, period_id)
            if period is None:
                return None
            return {r.unit_id: r for r in await service.unit_results(conn, period)}

    task = ctx.loader(f"UnitResults:{period_id}", lambda: asyncio.ensure_future(compute()))
    return await asyncio.shield(task)  # type: ignore[no-any-return]


def may_see_unit(principal: Principal, unit_id: str) -> bool:
    return principal.sees_everything or (
        principal.has(Role.UNIT_HEAD) and unit_id in principal.unit_ids
    )
