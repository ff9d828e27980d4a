"""The transaction every use-case of the tasks service runs in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg

Db: TypeAlias = "asyncpg.Pool | asyncpg.Connection | Any"


@asynccontextmanager
async def transaction(db: Any) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on a pool (acquire + begin) or inside a caller's connection
    (a savepoint), so use-cases run alone or batched in one transaction (demo data)."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            yield conn
    else:
        async with db.transaction():
            yield db
