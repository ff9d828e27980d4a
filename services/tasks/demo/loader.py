"""The demo district: 90 units, ~700 cadres, ~2,200 items from 2017-01 to 2018-06.

Everything goes through the use-cases (services.tasks.*.service, with a connection so
that many of them share one transaction): every step writes its audit entry and its
outbox event, exactly as through the API. Deterministic for a seed (names, dates,
choices and outcomes; database ids are random). ``ducha demo`` or ``ducha run``.
"""

from __future__ import annotations

import contextlib
import random
import time
from typing import Any, cast

import asyncpg
from tqdm import tqdm

from services.core.db import apply_migrations, connect, migrations_for
from services.tasks.demo import store
from services.tasks.demo.district import build_organisation
from services.tasks.demo.items import AS_OF as AS_OF  # the demo's "today", for callers
from services.tasks.demo.items import live, plan_items

ITEMS_PER_TRANSACTION = 100


class _OneTransaction:
    """The loader's connection as the use-cases see it: their own ``transaction()`` is a
    no-op inside the loader's transaction (no savepoint round trips, ~20% faster). Safe
    because any error aborts the whole batch anyway."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def transaction(self, **kwargs: Any) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()


async def migrate(dsn: str) -> None:
    await apply_migrations(dsn, "tasks", migrations_for("tasks"))


async def is_empty(dsn: str) -> bool:
    """True when the tasks schema has no units and no items (or is not migrated yet)."""
    conn = await connect(dsn, "tasks")
    try:
        if not await store.is_migrated(conn):
            return True
        return await store.has_no_units_and_items(conn)
    finally:
        await conn.close()


async def load(dsn: str, seed: int = 2018, progress: bool = True, scale: float = 1.0) -> None:
    """Load the demo district into an empty database (see is_empty); under a minute.

    ``scale`` shrinks the number of items (tests); the organisation is always whole.
    """
    started = time.perf_counter()
    await migrate(dsn)
    rng = random.Random(seed)
    real = await connect(dsn, "tasks")
    conn = cast(asyncpg.Connection, _OneTransaction(real))
    try:
        async with real.transaction():
            district = await build_organisation(conn, rng)
        plans = plan_items(rng, district, scale)
        with tqdm(
            total=len(plans), desc="演示数据 demo items", unit="item", disable=not progress
        ) as bar:
            for i in range(0, len(plans), ITEMS_PER_TRANSACTION):
                async with real.transaction():
                    for plan in plans[i : i + ITEMS_PER_TRANSACTION]:
                        await live(conn, rng, district, plan)
                        bar.update()
    finally:
        await real.close()
    if progress:
        people = sum(2 + len(u.cadres) for u in district.units) + len(district.leaders) + 6
        print(
            f"demo district loaded: {len(district.units)} units, ~{people} people, "
            f"{len(plans)} items in {time.perf_counter() - started:.1f}s"
        )
