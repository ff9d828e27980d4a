"""The first benchmark: the same 50-item list with alert levels three ways.

(a) through the Hive Gateway (tasks + alerts subgraphs federated),
(b) direct to the subgraphs — the two requests the gateway's plan makes (tasks
    `items`, then alerts `_entities` for the alert levels), back to back,
(c) the equivalent raw SQL through asyncpg (two queries, one per schema).
Every request uses a different page cursor (the gateway de-duplicates identical
in-flight requests). Prints p50/p99, throughput and the ratios a/b and b/c.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from bench.support import embedded_servers, latency_summary
from services.core.auth import mint_token
from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack, migrate_all
from services.tasks.items.graphql.queries import encode_cursor

ITEMS = 2200
PAGE = 50
REQUESTS = 300
CONCURRENCY = 8

GATEWAY_QUERY = """query($after: String) { items(first: 50, after: $after) {
  nodes { id code title deadline alert { level reason since } } } }"""
TASKS_QUERY = """query($after: String) { items(first: 50, after: $after) {
  nodes { id code title deadline } } }"""
ALERTS_QUERY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on SupervisionItem { alert { level reason since } } } }"""
SQL_ITEMS = """SELECT id, code, title, deadline, created_at FROM tasks.items
  WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT 50"""
SQL_ALERTS = "SELECT id, level, reason, level_since FROM alerts.items WHERE id = ANY($1::uuid[])"


async def seed(dsn: str) -> list[tuple[Any, uuid.UUID]]:
    conn = await asyncpg.connect(dsn)
    try:
        unit = uuid.uuid4()
        await conn.execute(
            "INSERT INTO tasks.units (id, code, name, kind, category)"
            " VALUES ($1, 'B001', '城关街道', 'STREET', '街道')",
            unit,
        )
        rows = []
        start = date(2017, 1, 2)
        for i in range(ITEMS):
            deadline = start + timedelta(days=30 + i % 400)
            rows.append((uuid.uuid4(), f"DB-2017-{i + 1:04d}", f"督办事项{i + 1}", start, deadline))
        await conn.executemany(
            "INSERT INTO tasks.items (id, code, title, source, start_date, deadline,"
            " original_deadline, state, lead_unit_id, created_at)"
            " VALUES ($1, $2, $3, 'KEY_WORK', $4, $5, $5, 'IN_PROGRESS', $6,"
            "  now() - make_interval(secs => $7))",
            [(r[0], r[1], r[2], r[3], r[4], unit, i) for i, r in enumerate(rows)],
        )
        await conn.executemany(
            "INSERT INTO alerts.items (id, code, title, source, state, start_date, deadline,"
            " original_deadline, lead_unit_id, snapshot, version, level, reason, level_since)"
            " VALUES ($1, $2, $3, 'KEY_WORK', 'IN_PROGRESS', $4, $5, $5, $6, '{}'::jsonb, 1,"
            "  $7, '', now())",
            [
                (r[0], r[1], r[2], r[3], r[4], unit, ("GREEN", "YELLOW", "BLUE", "RED")[i % 4])
                for i, r in enumerate(rows)
            ],
        )
        ordered = await conn.fetch(
            "SELECT created_at, id FROM tasks.items ORDER BY created_at DESC, id DESC"
        )
        return [(r["created_at"], r["id"]) for r in ordered]
    finally:
        await conn.close()


async def measure(call: Any, cursors: list[tuple[Any, uuid.UUID]]) -> dict[str, Any]:
    """REQUESTS calls from CONCURRENCY workers, each with a different cursor."""
    samples: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            cursor = cursors[(i * 7) % (len(cursors) - PAGE)]
            t0 = time.perf_counter()
            await call(cursor)
            samples.append((time.perf_counter() - t0) * 1000)

    for _ in range(20):  # warm-up
        await call(cursors[0])
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latency_summary(samples, time.perf_counter() - started)


async def run(
    stack: Stack, settings: Settings, cursors: list[tuple[Any, uuid.UUID]]
) -> dict[str, Any]:
    token = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"])
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def via_gateway(cursor: tuple[Any, uuid.UUID]) -> None:
            r = await client.post(
                stack.gateway_url,
                json={"query": GATEWAY_QUERY, "variables": {"after": encode_cursor(*cursor)}},
            )
            nodes = r.json()["data"]["items"]["nodes"]
            assert len(nodes) == PAGE and nodes[0]["alert"] is not None

        async def direct(cursor: tuple[Any, uuid.UUID]) -> None:
            r = await client.post(
                stack.service_url("tasks"),
                json={"query": TASKS_QUERY, "variables": {"after": encode_cursor(*cursor)}},
            )
            nodes = r.json()["data"]["items"]["nodes"]
            reps = [{"__typename": "SupervisionItem", "id": n["id"]} for n in nodes]
            r = await client.post(
                stack.service_url("alerts"), json={"query": ALERTS_QUERY, "variables": {"r": reps}}
            )
            assert len(r.json()["data"]["_entities"]) == PAGE

        pool = await asyncpg.create_pool(
            stack.database_url, min_size=CONCURRENCY, max_size=CONCURRENCY
        )
        assert pool is not None

        async def raw_sql(cursor: tuple[Any, uuid.UUID]) -> None:
            async with pool.acquire() as conn:
                rows = await conn.fetch(SQL_ITEMS, *cursor)
                alerts = await conn.fetch(SQL_ALERTS, [r["id"] for r in rows])
            assert len(alerts) == PAGE

        try:
            a = await measure(via_gateway, cursors)
            b = await measure(direct, cursors)
            c = await measure(raw_sql, cursors)
        finally:
            await pool.close()
    return {
        "items": ITEMS,
        "page": PAGE,
        "requests": REQUESTS,
        "concurrency": CONCURRENCY,
        "a_gateway": a,
        "b_direct_subgraphs": b,
        "c_raw_sql": c,
        "ratio_a_over_b_p50": round(a["p50_ms"] / b["p50_ms"], 2),
        "ratio_b_over_c_p50": round(b["p50_ms"] / c["p50_ms"], 2),
        "ratio_a_over_b_throughput": round(b["throughput_per_s"] / a["throughput_per_s"], 2),
    }


def main(results: dict[str, Any]) -> None:
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        cursors = asyncio.run(seed(dsn))
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
        stack = Stack(
            root,
            dsn,
            nats_url,
            settings.signing_secret(),
            extra_env={"LOG_LEVEL": "WARNING", "DEV_MODE": "0"},
        )
        try:
            for name in SERVICE_NAMES:
                stack.start_service(name)
            stack.start_gateway()
            stack.wait_ready(120)
            figures = asyncio.run(run(stack, settings, cursors))
        finally:
            stack.stop()
    results["foundation_list_50_with_alerts"] = figures
    print(
        f"50-item list with alerts: gateway p50 {figures['a_gateway']['p50_ms']} ms, "
        f"direct p50 {figures['b_direct_subgraphs']['p50_ms']} ms, "
        f"raw SQL p50 {figures['c_raw_sql']['p50_ms']} ms; "
        f"a/b {figures['ratio_a_over_b_p50']}, b/c {figures['ratio_b_over_c_p50']}"
    )
