"""The app every service runs: open health and metrics, guarded GraphQL, masked errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import strawberry

from services.core.app_factory import ServiceSpec, create_app, metrics_server
from services.core.graphql import AppInfo, federation_schema
from services.core.settings import Settings
from tests.support.servers import token, wait_for


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: AppInfo) -> str:
        principal = info.context.require()
        return f"{principal.subject}:{','.join(sorted(principal.roles))}"

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError("secret internal detail: password=hunter2")


@pytest_asyncio.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    spec = ServiceSpec(name="tasks", schema=lambda: federation_schema(query=Query))
    app = create_app(spec, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


async def test_health_readiness_and_metrics_are_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": True,
        "migrations": True,
        "nats": True,
        "background": True,
    }
    assert ready.json()["problems"] == [] and ready.json()["instance"]
    metrics = (await client.get("/metrics")).text
    assert "ducha_http_requests_total" in metrics


async def test_graphql_requires_a_valid_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    r = await client.post("/graphql", json={"query": "{ whoami }"})
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await client.post(
        "/graphql",
        json={"query": "{ whoami }"},
        headers={"authorization": f"Bearer {token(settings, 'LEADER', subject='p-9')}"},
    )
    assert r.json() == {"data": {"whoami": "p-9:LEADER"}}


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32


async def test_unexpected_errors_are_masked_with_a_stable_code(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    r = await client.post(
        "/graphql",
        json={"query": "{ boom }"},
        headers={"authorization": f"Bearer {token(settings)}", "x-request-id": "rid-1"},
    )
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["requestId"] == "rid-1"
    assert "hunter2" not in r.text and "Traceback" not in r.text


async def test_metrics_on_their_own_port_leave_graphql_port_without_them(
    settings: Settings,
) -> None:
    """METRICS_PORT: Prometheus gets /metrics on its own port; the GraphQL port has none."""
    spec = ServiceSpec(name="tasks", schema=lambda: federation_schema(query=Query))
    app = create_app(spec, settings.model_copy(update={"metrics_port": 1, "host": "127.0.0.1"}))
    assert "/metrics" not in {getattr(r, "path", None) for r in app.routes}
    with metrics_server("127.0.0.1", 0) as port:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200 and "python_info" in r.text
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/metrics")).status_code == 404


async def test_a_stuck_job_makes_the_service_not_ready_and_says_why(settings: Settings) -> None:
    import asyncio

    from services.core.jobs import Job

    async def hang(state: object) -> None:
        await asyncio.Event().wait()

    spec = ServiceSpec(
        name="tasks",
        schema=lambda: federation_schema(query=Query),
        jobs=lambda s: [Job("hang", lambda: 3600.0, hang)],
    )
    app = create_app(spec, settings.model_copy(update={"job_stuck_seconds": 0.2}), "inst-1")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:

            async def not_ready() -> httpx.Response | None:
                r = await c.get("/readyz")
                return r if r.status_code == 503 else None

            r = await wait_for(not_ready, timeout=10)
            body = r.json()
            assert body["instance"] == "inst-1" and body["checks"]["background"] is False
            assert any(p.startswith("job:hang: stuck") for p in body["problems"]), body
            metrics = (await c.get("/metrics")).text
            assert 'ducha_readiness_check{check="background"} 0.0' in metrics


async def test_roles_split_the_api_from_the_background_work(settings: Settings) -> None:
    """``--role api`` serves /graphql and runs no jobs; ``--role worker`` runs the jobs and
    serves only the probes (ADR 0021)."""
    from services.core.jobs import Job

    ran: list[str] = []

    async def note(state: object) -> None:
        ran.append("job")

    def spec() -> ServiceSpec:
        return ServiceSpec(
            name="tasks",
            schema=lambda: federation_schema(query=Query),
            jobs=lambda s: [Job("note", lambda: 3600.0, note)],
        )

    seen: dict[str, tuple[int, list[str], str]] = {}
    for role in ("api", "worker"):
        app = create_app(spec(), settings, f"inst-{role}", role=role)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                r = await c.post(
                    "/graphql",
                    json={"query": "{ whoami }"},
                    headers={"authorization": f"Bearer {token(settings)}"},
                )
                if role == "worker":
                    await wait_for(lambda: asyncio.sleep(0, result=bool(ran)), timeout=10)
                ready = (await c.get("/readyz")).json()
                names = sorted(t.get_name() for t in app.state.supervisor.tasks)
                seen[role] = (r.status_code, names, ready["role"])
    assert seen["api"][0] == 200 and seen["worker"][0] == 404
    assert not any(n.startswith("job:") for n in seen["api"][1])
    assert "job:note" in seen["worker"][1]
    assert (seen["api"][2], seen["worker"][2]) == ("api", "worker")
    with pytest.raises(ValueError):
        create_app(spec(), settings, role="both")
