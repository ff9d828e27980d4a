"""Migrations: ordered, recorded, idempotent, safe when replicas start at once."""

from __future__ import annotations

import asyncio

import asyncpg

from services.core.db import Migration, apply_migrations, migrations_for
from services.core.embedded import EmbeddedPostgres
from tests.support.servers import create_database

MIGRATIONS = [
    Migration("0001_a.sql", "CREATE TABLE a (id int PRIMARY KEY);"),
    Migration("0002_b.sql", "INSERT INTO a VALUES (1); CREATE TABLE b (id int);"),
]


async def test_concurrent_replicas_apply_each_migration_exactly_once(
    pg_server: EmbeddedPostgres,
) -> None:
    dsn = await create_database(pg_server.dsn)
    results = await asyncio.gather(*(apply_migrations(dsn, "m", MIGRATIONS) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM m.a") == 1
        names = await conn.fetch("SELECT name FROM m.schema_migrations ORDER BY name")
        assert [r["name"] for r in names] == ["0001_a.sql", "0002_b.sql"]
    finally:
        await conn.close()
    assert await apply_migrations(dsn, "m", MIGRATIONS) == []


async def test_a_failing_migration_leaves_nothing_half_applied(pg_server: EmbeddedPostgres) -> None:
    dsn = await create_database(pg_server.dsn)
    broken = [*MIGRATIONS, Migration("0003_c.sql", "CREATE TABLE c (id int); SELECT 1/0;")]
    try:
        await apply_migrations(dsn, "m", broken)
    except asyncpg.PostgresError:
        pass
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('m.c')") is None
        assert await conn.fetchval("SELECT count(*) FROM m.schema_migrations") == 2
    finally:
        await conn.close()


def test_every_service_has_core_migrations_first_then_its_own_in_order() -> None:
    for service in ("tasks", "alerts", "evaluation"):
        names = [m.name for m in migrations_for(service)]
        core = [n for n in names if n.startswith("core/")]
        own = [n for n in names if not n.startswith("core/")]
        assert names == core + own and core and own
        assert own == sorted(own)
        prefixes = [n.split("_", 1)[0] for n in own]
        assert len(prefixes) == len(set(prefixes)), f"{service}: duplicate migration numbers"
