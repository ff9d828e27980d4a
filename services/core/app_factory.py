"""The Starlette app every service runs: /graphql, /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core.auth import TokenVerifier
from services.core.bus import connect_nats, ensure_streams
from services.core.consumer import Consumer, Subscription
from services.core.db import apply_migrations, create_pool, migrations_for, pending_migrations
from services.core.graphql.view import SubgraphView
from services.core.jobs import Job, run_periodically
from services.core.logs import request_id_var, service_var
from services.core.outbox import OutboxRelay
from services.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("ducha_http_requests_total", "HTTP requests", ["path", "status"])
HTTP_SECONDS = Histogram("ducha_http_request_seconds", "HTTP request latency", ["path"])


@dataclass
class ServiceSpec:
    name: str
    schema: Callable[[], strawberry.federation.Schema]
    subscriptions: Callable[[], list[Subscription]] = lambda: []
    jobs: Callable[[Settings], list[Job]] = lambda s: []
    on_start: Callable[[Any], Awaitable[None]] | None = None
    on_stop: Callable[[Any], Awaitable[None]] | None = None
    # plain HTTP endpoints beside /graphql (e.g. tasks' WeCom callback)
    routes: Callable[[], list[Route]] = lambda: []
    extra: dict[str, Any] = field(default_factory=dict)


class RequestContextMiddleware:
    """Request id (from X-Request-Id or new), access metrics; pure ASGI so SSE streams."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode() or uuid.uuid4().hex
        token = request_id_var.set(rid)
        service_var.set(self.service)
        path = scope.get("path", "")
        started = time.perf_counter()
        status = {"code": 0}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if scope["type"] == "http":
                HTTP_REQUESTS.labels(path, str(status["code"])).inc()
                HTTP_SECONDS.labels(path).observe(time.perf_counter() - started)
            request_id_var.reset(token)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "service": request.app.state.service})


async def readyz(request: Request) -> Response:
    state = request.app.state
    checks: dict[str, bool] = {}
    try:
        async with state.pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")
            checks["database"] = True
            checks["migrations"] = not await pending_migrations(conn, state.migrations)
    except Exception:
        checks.setdefault("database", False)
        checks.setdefault("migrations", False)
    checks["nats"] = bool(state.nc is not None and state.nc.is_connected)
    ok = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    schema = spec.schema()
    verifier = TokenVerifier(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = app.state
        dsn = settings.require_database_url()
        state.settings = settings
        state.service = spec.name
        state.migrations = migrations_for(spec.name)
        state.nc = None
        if settings.auto_migrate:
            await apply_migrations(dsn, spec.name, state.migrations)
        state.pool = await create_pool(dsn, spec.name, settings.db_pool_min, settings.db_pool_max)
        state.nc = await connect_nats(settings.require_nats_url(), f"ducha-{spec.name}")
        state.js = state.nc.jetstream()
        await ensure_streams(state.js, settings.stream_replicas, settings.stream_max_age_days)
        state.relay = OutboxRelay(
            state.pool, state.js, dsn, spec.name, settings.outbox_poll_seconds
        )
        tasks: list[asyncio.Task[Any]] = [asyncio.create_task(state.relay.run(), name="outbox")]
        state.consumers = [
            Consumer(
                spec.name,
                sub,
                state.pool,
                state.js,
                settings.consumer_max_deliver,
                settings.consumer_ack_wait_seconds,
            )
            for sub in spec.subscriptions()
        ]
        if spec.on_start:
            await spec.on_start(state)
        tasks += [asyncio.create_task(c.run(), name=c.durable) for c in state.consumers]
        tasks += [
            asyncio.create_task(run_periodically(state.pool, job, state), name=job.name)
            for job in spec.jobs(settings)
        ]
        state.background = tasks
        log.info("service started", extra={"service": spec.name})
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if spec.on_stop:
                await spec.on_stop(state)
            with contextlib.suppress(Exception):
                await state.nc.drain()
            await state.pool.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route(
                "/graphql",
                SubgraphView(schema, verifier, graphiql=settings.dev_mode),
                methods=["GET", "POST"],
            ),
            *spec.routes(),
        ],
        lifespan=lifespan,
    )
    from starlette.routing import WebSocketRoute

    app.router.routes.append(
        WebSocketRoute("/graphql", SubgraphView(schema, verifier, graphiql=False))
    )
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    app.state.service = spec.name
    return app
