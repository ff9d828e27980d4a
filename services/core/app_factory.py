"""The Starlette app every service runs: /graphql, /healthz, /readyz, /metrics (or /metrics
on its own port, ``METRICS_PORT``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import strawberry
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core import calendar, calendar_store, clock, event_timing
from services.core.auth import TokenVerifier
from services.core.bus import connect_nats, ensure_streams
from services.core.consumer import Consumer, Subscription
from services.core.db import apply_migrations, create_pool, migrations_for, pending_migrations
from services.core.graphql.view import SubgraphView
from services.core.jobs import Job, run_periodically
from services.core.logs import accepted_request_id, request_id_var, service_var
from services.core.outbox import OutboxRelay
from services.core.settings import Settings, get_settings
from services.core.supervisor import Heartbeat, Supervisor, Work

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("ducha_http_requests_total", "HTTP requests", ["path", "status"])
HTTP_SECONDS = Histogram("ducha_http_request_seconds", "HTTP request latency", ["path"])
READY = Gauge(
    "ducha_readiness_check", "1 when a readiness check passes, 0 when it fails (why)", ["check"]
)


@dataclass
class ServiceSpec:
    name: str
    schema: Callable[[], strawberry.federation.Schema]
    subscriptions: Callable[[], list[Subscription]] = lambda: []
    jobs: Callable[[Settings], list[Job]] = lambda s: []
    on_start: Callable[[Any], Awaitable[None]] | None = None
    on_stop: Callable[[Any], Awaitable[None]] | None = None
    # extra HTTP routes beside /graphql (e.g. the tasks service's development sign-in)
    routes: Callable[[Settings], list[BaseRoute]] = lambda s: []
    extra: dict[str, Any] = field(default_factory=dict)


class RequestContextMiddleware:
    """Request id (from X-Request-Id or new), access metrics; pure ASGI so SSE streams."""

    def __init__(self, app: ASGIApp, service: str, request_id_max_length: int = 128) -> None:
        self.app = app
        self.service = service
        self.request_id_max_length = request_id_max_length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = accepted_request_id(given, self.request_id_max_length)
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


async def _database_check(state: Any, timeout: float) -> dict[str, bool]:
    try:
        async with asyncio.timeout(timeout):
            async with state.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                pending = await pending_migrations(conn, state.migrations)
        return {"database": True, "migrations": not pending}
    except Exception:
        return {"database": False, "migrations": False}


async def _nats_check(state: Any, timeout: float) -> bool:
    """A round trip to JetStream: a frozen server (SIGSTOP) keeps the TCP connection up."""
    if state.nc is None or not state.nc.is_connected:
        return False
    try:
        await state.nc.request("$JS.API.INFO", b"", timeout=timeout)
        return True
    except Exception:
        return False


async def readiness(state: Any) -> tuple[dict[str, bool], list[str]]:
    """Every check and, for the failing ones, why; also exported as a metric."""
    timeout = state.settings.readiness_timeout_seconds
    database, nats_ok = await asyncio.gather(
        _database_check(state, timeout), _nats_check(state, timeout)
    )
    checks = {**database, "nats": nats_ok}
    problems = [f"{name}: unreachable" for name in ("database", "nats") if not checks[name]]
    if checks["database"] and not checks["migrations"]:
        problems.append("migrations: pending")
    background = state.supervisor.problems()
    checks["background"] = not background
    problems += background
    for name, ok in checks.items():
        READY.labels(name).set(1 if ok else 0)
    return checks, problems


async def readyz(request: Request) -> Response:
    state = request.app.state
    checks, problems = await readiness(state)
    ok = all(checks.values())
    body: dict[str, Any] = {
        "status": "ready" if ok else "not ready",
        "service": state.service,
        "instance": state.instance_id,
        "role": state.role,
        "checks": checks,
        "problems": problems,
    }
    # warnings do not make the service unready (the calendar falls back to Mon–Fri)
    coverage = calendar.coverage(clock.today())
    calendar_store.observe(coverage)
    body["calendar"] = {"lastYear": coverage.last_year, "daysLeft": coverage.days_left}
    body["warnings"] = [f"calendar: {coverage.warning}"] if coverage.warning else []
    return JSONResponse(body, status_code=200 if ok else 503)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@contextlib.contextmanager
def metrics_server(host: str, port: int) -> Iterator[int]:
    """Prometheus' exposition server on its own port (a thread), for ``METRICS_PORT``;
    yields the port it listens on."""
    httpd, thread = start_http_server(port, addr=host)
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _job_work(pool: Any, job: Job, state: Any, settings: Settings) -> Work:
    async def work(hb: Heartbeat) -> None:
        await run_periodically(pool, job, state, hb, settings.job_stuck_seconds)

    return work


ROLES = ("all", "api", "worker")


def create_app(
    spec: ServiceSpec,
    settings: Settings | None = None,
    instance_id: str | None = None,
    role: str = "all",
) -> Starlette:
    """The service's app. ``instance_id`` (``ducha serve --instance-id``) is echoed by
    ``/readyz`` so whoever started the process knows it talks to its own.

    ``role`` (ADR 0021): ``api`` serves /graphql and runs no consumers or jobs; ``worker``
    runs the consumers and jobs and serves only the probes and metrics; ``all`` does both in
    one process. Every role relays its own outbox rows and keeps its calendar fresh."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    serves_api = role in ("all", "api")
    runs_work = role in ("all", "worker")
    settings = settings or get_settings()
    instance = instance_id or uuid.uuid4().hex

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with contextlib.ExitStack() as stack:
            if settings.metrics_port:
                app.state.metrics_port = stack.enter_context(
                    metrics_server(settings.host, settings.metrics_port)
                )
            async with running(app):
                yield

    @contextlib.asynccontextmanager
    async def running(app: Starlette) -> AsyncIterator[None]:
        state = app.state
        clock.install(settings)
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
            state.pool,
            state.js,
            dsn,
            spec.name,
            settings.outbox_poll_seconds,
            stuck_after=settings.worker_stuck_seconds,
            timing=settings.event_path_timing,
        )
        if settings.event_path_timing:
            event_timing.enable()
        loaded = await calendar_store.start(state.pool)
        state.consumers = [
            Consumer(
                spec.name,
                sub,
                state.pool,
                state.js,
                settings.consumer_max_deliver,
                settings.consumer_ack_wait_seconds,
                retry_max=settings.consumer_retry_max_seconds,
                stuck_after=settings.worker_stuck_seconds,
                committed=state.relay.wake,
                timing=settings.event_path_timing,
            )
            for sub in (spec.subscriptions() if runs_work else [])
        ]
        supervisor = state.supervisor = Supervisor()
        supervisor.add("outbox", state.relay.run)
        supervisor.add(
            "calendar-refresh",
            lambda hb: calendar_store.refresh_forever(
                state.pool, loaded, settings.calendar_refresh_seconds, hb
            ),
        )
        if spec.on_start:
            await spec.on_start(state)
        for c in state.consumers:
            supervisor.add(f"consumer:{c.durable}", c.run)
        for job in spec.jobs(settings) if runs_work else []:
            supervisor.add(f"job:{job.name}", _job_work(state.pool, job, state, settings))
        supervisor.start()
        state.background = supervisor.tasks
        log.info("service started", extra={"service": spec.name, "role": role})
        try:
            yield
        finally:
            await supervisor.stop()
            if spec.on_stop:
                try:
                    await asyncio.wait_for(spec.on_stop(state), timeout=10)
                except Exception:
                    log.warning("on_stop of %s did not finish cleanly", spec.name, exc_info=True)
            try:  # a drain stuck behind a pull in flight must not hold the shutdown
                await asyncio.wait_for(state.nc.drain(), timeout=10)
            except Exception:
                with contextlib.suppress(Exception):
                    await state.nc.close()
            try:
                await asyncio.wait_for(state.pool.close(), timeout=10)
            except Exception:
                state.pool.terminate()

    api_routes: list[BaseRoute] = []
    if serves_api:
        schema = spec.schema()
        verifier = TokenVerifier(settings)
        api_routes = [
            Route(
                "/graphql",
                SubgraphView(schema, verifier, graphiql=settings.dev_mode),
                methods=["GET", "POST"],
            ),
            *spec.routes(settings),
            WebSocketRoute("/graphql", SubgraphView(schema, verifier, graphiql=False)),
        ]
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *([] if settings.metrics_port else [Route("/metrics", metrics)]),
            *api_routes,
        ],
        lifespan=lifespan,
    )
    app.add_middleware(
        RequestContextMiddleware,
        service=spec.name,
        request_id_max_length=settings.request_id_max_length,
    )
    app.state.service = spec.name
    app.state.instance_id = instance
    app.state.role = role
    return app
