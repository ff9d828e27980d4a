"""asyncpg pool per service, confined to the service's own schema, and migrations."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
import orjson

log = logging.getLogger(__name__)

CORE_MIGRATIONS = Path(__file__).parent / "migrations"


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("jsonb", "json"):
        await conn.set_type_codec(
            typename,
            encoder=lambda v: json.dumps(v, ensure_ascii=False, default=str),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def connect(dsn: str, schema: str) -> asyncpg.Connection:
    """A single connection (LISTEN, advisory locks held across a job) in the schema."""
    conn = await asyncpg.connect(dsn, server_settings={"search_path": f"{schema},public"})
    await _init_connection(conn)
    return conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset: nothing beyond asyncpg's own (rolling back an open transaction,
    dropping listeners). Pooled connections hold no session state — LISTEN runs on a
    dedicated connection, locks are transaction-scoped, and the one session lock (a job's,
    services.core.jobs) is released or its connection terminated — so asyncpg's default
    reset query (unlock all, CLOSE ALL, UNLISTEN, RESET ALL) would be a wasted round trip on
    every release: one per DataLoader batch (ADR 0020)."""


async def create_pool(dsn: str, schema: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"search_path": f"{schema},public"},
    )
    assert pool is not None
    return pool


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _read_dir(directory: Path, prefix: str) -> list[Migration]:
    return [
        Migration(f"{prefix}{p.name}", p.read_text(encoding="utf-8"))
        for p in sorted(directory.glob("*.sql"))
    ]


def migrations_for(service: str) -> list[Migration]:
    """Core (bus) migrations first, then the service's own, each in file-name order."""
    own = Path(str(resources.files(f"services.{service}") / "migrations"))
    return _read_dir(CORE_MIGRATIONS, "core/") + _read_dir(own, "")


def _lock_key(schema: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True
    )


async def apply_migrations(dsn: str, schema: str, migrations: list[Migration]) -> list[str]:
    """Apply pending migrations under an advisory lock; returns the names applied."""
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
        try:
            # Only when absent: a role that owns its pre-created schema but may not
            # create schemas (deploy/: one role per service) must still migrate.
            if await conn.fetchval("SELECT to_regnamespace($1) IS NULL", f'"{schema}"'):
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(f'SET search_path TO "{schema}", public')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {
                r["name"]: r["checksum"]
                for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")
            }
            for m in migrations:
                if m.name in done:
                    if done[m.name] != m.checksum:
                        log.warning("migration %s changed after it was applied", m.name)
                    continue
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                        m.name,
                        m.checksum,
                    )
                applied.append(m.name)
                log.info("applied migration", extra={"migration": m.name, "schema": schema})
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
    finally:
        await conn.close()
    return applied


async def pending_migrations(conn: Any, migrations: list[Migration]) -> list[str]:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return [m.name for m in migrations]
    done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
    return [m.name for m in migrations if m.name not in done]
