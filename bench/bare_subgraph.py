"""A Strawberry subgraph with nothing of Ducha's, for the bench's floor (ADR 0020).

It answers the bench's one-item query (``item(id) { id code title state deadline leadUnit
{ name } }``) from the bench's raw SQL (one asyncpg round trip) on Strawberry's own ASGI
view under uvicorn (uvloop, httptools), as the real subgraphs run, with what makes them
fast (parsed and validated documents cached, no reset query on pool release) and nothing
else: no token check, no limit, no middleware, no loader, no access rule. What it costs
over the raw SQL is what Strawberry, graphql-core and uvicorn cost, which no change to
Ducha's code can go below.

    python -m bench.bare_subgraph --port 4199 --dsn postgresql://...
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
from collections.abc import AsyncIterator

import asyncpg
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from bench.bench_paths import ITEM_SQL


@strawberry.type
class Unit:
    name: str


@strawberry.type
class Item:
    id: strawberry.ID
    code: str
    title: str
    state: str
    deadline: datetime.date
    lead_unit: Unit


@strawberry.type
class Query:
    @strawberry.field
    async def item(self, info: strawberry.Info, id: strawberry.ID) -> Item | None:
        pool: asyncpg.Pool = info.context["request"].app.state.pool
        row = await pool.fetchrow(ITEM_SQL, id)
        if row is None:
            return None
        return Item(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            title=row["title"],
            state=row["state"],
            deadline=row["deadline"],
            lead_unit=Unit(name=row["name"]),
        )


async def _no_reset(conn: asyncpg.Connection) -> None:
    """As services.core.db: asyncpg's own rollback, not its four-statement reset query."""


def app(dsn: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10, reset=_no_reset)
        try:
            yield
        finally:
            await app.state.pool.close()

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    schema = strawberry.federation.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
    )
    return Starlette(
        routes=[Route("/graphql", GraphQL(schema), methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args()
    uvicorn.run(app(args.dsn), host="127.0.0.1", port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
