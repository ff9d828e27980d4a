"""Helpers for tests: run a service in-process, wait on conditions, mint tokens."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import asyncpg
import httpx

from services.core.app_factory import create_app
from services.core.auth import mint_token
from services.core.settings import Settings
from services.registry import SERVICE_NAMES, spec
from services.stack import Stack

T = TypeVar("T")

OFFICE_ID = "00000000-0000-0000-0000-00000000000a"


async def wait_for(
    check: Callable[[], Awaitable[T | None]], timeout: float = 20.0, interval: float = 0.05
) -> T:
    """Poll ``check`` until it returns a truthy value; fail with the last value on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = await check()
        if last:
            return last  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
        await asyncio.sleep(interval)


@contextlib.contextmanager
def running_platform(
    settings: Settings,
    *,
    services: Iterable[str] = SERVICE_NAMES,
    start: Callable[[Stack], object] | None = None,
    gateway_port: int = 0,
    **extra_env: str,
) -> Iterator[Stack]:
    """The services (all three unless named) and the gateway as processes, on the test
    database and NATS; ``start`` starts what runs another way (alerts on a moved clock)
    before the gateway. ``extra_env``: the processes' settings."""
    s = Stack(
        data_dir=settings.data_dir,
        database_url=settings.require_database_url(),
        nats_url=settings.require_nats_url(),
        jwt_secret=settings.signing_secret(),
        gateway_port=gateway_port,
        extra_env={"LOG_JSON": "false", **extra_env},
    )
    try:
        for name in services:
            s.start_service(name)
        if start is not None:
            start(s)
        s.start_gateway()
        s.wait_ready(120)
        yield s
    finally:
        s.stop()


def token(
    settings: Settings,
    *roles: str,
    subject: str = OFFICE_ID,
    units: list[str] | None = None,
    ops: list[str] | None = None,
) -> str:
    return mint_token(settings, subject, list(roles) or ["SUPERVISION_OFFICE"], units, "测试", ops)


class GraphQLClient:
    def __init__(self, client: httpx.AsyncClient, url: str, bearer: str | None) -> None:
        self.client = client
        self.url = url
        self.bearer = bearer

    def as_(self, bearer: str | None) -> GraphQLClient:
        return GraphQLClient(self.client, self.url, bearer)

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.bearer}"} if self.bearer else {}
        r = await self.client.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers
        )
        return r.json()  # type: ignore[no-any-return]

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Execute and return ``data``; fails the test on any top-level error."""
        body = await self.raw(query, variables)
        assert not body.get("errors"), body["errors"]
        return body["data"]  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def running_service(
    name: str, settings: Settings
) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    """The service's app with its lifespan (pool, NATS, relay, consumers) in this loop."""
    app = create_app(spec(name), settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30) as c:
            yield app, GraphQLClient(c, "/graphql", token(settings))


async def create_database(admin_dsn: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"
