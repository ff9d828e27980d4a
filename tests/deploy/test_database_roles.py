"""The CloudNativePG bootstrap SQL on a real PostgreSQL: one role per service.

The SQL is taken from the rendered prod Cluster and run as the operator would (as
superuser, in the application database); then each role gets LOGIN as the operator's
`managed.roles` would give it. `ducha migrate <service>` must work under the service's
own role, each service must become ready under it, and no role may touch another's
schema.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from services.core.embedded import EmbeddedNats, EmbeddedPostgres
from services.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.deploy.manifests import ROOT, SERVICES, find, rendered
from tests.support.servers import create_database, running_service


def role_dsn(url: str, role: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest_asyncio.fixture(scope="module")
async def bootstrapped(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """A database prepared by the Cluster's bootstrap SQL; yields the superuser URL."""
    url = await create_database(pg_server.dsn)
    database = url.rsplit("/", 1)[1]
    initdb = find(rendered("prod"), "Cluster", "ducha-pg")["spec"]["bootstrap"]["initdb"]
    conn = await asyncpg.connect(url)
    try:
        for statement in initdb["postInitApplicationSQL"]:
            await conn.execute(
                statement.replace(f"DATABASE {initdb['database']} ", f'DATABASE "{database}" ')
            )
        for service in SERVICES:
            await conn.execute(f"ALTER ROLE {service} LOGIN")  # what managed.roles does
    finally:
        await conn.close()
    yield url


async def migrate(url: str, service: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": role_dsn(url, service)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "migrate",
        service,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


@pytest_asyncio.fixture(scope="module")
async def migrated(bootstrapped: str) -> str:
    for service in SERVICES:
        code, out = await migrate(bootstrapped, service)
        assert code == 0, out
        assert f"{service}: " in out and "migration(s) applied" in out
    return bootstrapped


async def test_migrate_is_idempotent_under_the_service_role(migrated: str) -> None:
    for service in SERVICES:
        code, out = await migrate(migrated, service)
        assert code == 0 and f"{service}: 0 migration(s) applied" in out, out


@pytest.mark.parametrize("role", SERVICES)
async def test_a_role_cannot_touch_another_service_schema(migrated: str, role: str) -> None:
    conn = await asyncpg.connect(role_dsn(migrated, role))
    try:
        assert await conn.fetchval(f"SELECT count(*) FROM {role}.outbox") >= 0
        for other in SERVICES:
            if other == role:
                continue
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(f"SELECT * FROM {other}.outbox")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"CREATE TABLE {other}.intruder (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.intruder (id int)")
        if role != "evaluation":
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE SCHEMA intruder")
    finally:
        await conn.close()


async def test_evaluation_can_rebuild_into_its_scratch_schema(migrated: str) -> None:
    from services.evaluation.rebuild.service import prepare_schema

    dsn = role_dsn(migrated, "evaluation")
    await prepare_schema(dsn, "evaluation_rebuild", "evaluation")
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('evaluation_rebuild.outbox') IS NOT NULL")
    finally:
        await conn.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_is_ready_under_its_own_role(
    migrated: str, nats_server: EmbeddedNats, tmp_path: Path, service: str
) -> None:
    settings = Settings(
        database_url=role_dsn(migrated, service),
        nats_url=nats_server.url,
        jwt_secret=TEST_SECRET,
        data_dir=tmp_path,
        auto_migrate=False,
        sweep_interval_seconds=3600,
        log_json=False,
    )
    async with running_service(service, settings) as (_app, client):
        response = await client.client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {
            "database": True,
            "migrations": True,
            "nats": True,
            "background": True,
        }
