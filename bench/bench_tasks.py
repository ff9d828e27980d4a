"""Tasks service: the item list with filters and the item detail with its history.

Rows are generated straight into PostgreSQL with SQL (90 units, 700 people, items
with one assignment per unit), first at the demo size (2,200 items) and then grown
to BENCH_TASKS_BIG items (default 400,000: the largest size that keeps this
bench near three minutes on the 2-core machine; BENCH_TASKS_BIG=1000000 runs the full
size in about seven). For each size: p50/p99 of the same
GraphQL request through the Hive Gateway and direct to the tasks subgraph. Every
request uses different variables (the gateway de-duplicates identical in-flight
requests). The item detail reads an item with 20 reports, instructions, chases,
a verification and ~30 audit entries.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from bench.support import embedded_servers, latency_summary
from services.core.auth import mint_token
from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack, migrate_all

DEMO_ITEMS = 2200
BIG_ITEMS = int(os.environ.get("BENCH_TASKS_BIG", "400000"))
REQUESTS = int(os.environ.get("BENCH_TASKS_REQUESTS", "100"))
CONCURRENCY = 8
DETAIL_ITEMS = 200

PLACES = [
    "老旧小区",
    "背街小巷",
    "河道",
    "供水管网",
    "道路交通",
    "垃圾分类",
    "棚户区",
    "学校",
    "医院",
    "农贸市场",
]
ACTIONS = ["改造", "整治", "建设", "提升", "治理", "搬迁", "扩建", "维修"]
KEYWORDS = [p + a for p in PLACES[:6] for a in ACTIONS[:4]]
SOURCES = ["SUPERIOR_ASSIGNMENT", "LEADER_INSTRUCTION", "KEY_WORK", "MAJOR_PROJECT",
           "CONGRESS_PROPOSAL", "CPPCC_PROPOSAL", "PUBLIC_REQUEST", "OTHER"]  # fmt: skip
STATES = ["ASSIGNED", "IN_PROGRESS", "COMPLETION_REQUESTED", "COMPLETED", "SUSPENDED", "CANCELLED"]

LIST_BY_UNIT = """query ($f: ItemFilter, $n: Int) { items(first: $n, filter: $f) {
  nodes { id code title state deadline assignments { unitId state percent } }
  pageInfo { hasNextPage endCursor } } }"""
DETAIL = """query ($id: ID!) { item(id: $id) { id code title state deadline
  leadUnit { name } assignments { unitId state percent lastReportAt }
  reports { percent narrative reportedAt } instructions { content }
  chases { note createdAt } verifications { approved note }
  auditTrail { action actorId occurredAt } } }"""

# Items are generated in SQL so that a million rows take seconds, not hours.
GENERATE_ITEMS = """
INSERT INTO tasks.items (id, code, title, content, source, importance, difficulty,
    start_date, deadline, original_deadline, reporting_cycle, state, lead_unit_id,
    co_unit_ids, responsible_leader_id, owner_ids, version, created_by, created_at)
SELECT gen_random_uuid(),
       'DB-' || (2017 + g % 2) || '-' || lpad(g::text, 7, '0'),
       ($3::text[])[1 + h1 % 10] || ($4::text[])[1 + h2 % 8] || '第' || g || '项',
       '按照区委区政府部署，推进' || ($3::text[])[1 + h2 % 10] || ($4::text[])[1 + h3 % 8]
         || '工作，确保按期完成。',
       ($5::text[])[1 + h3 % 8], 1 + h1 % 3, 1.0,
       date '2017-01-01' + (g % 540), date '2017-01-01' + (g % 540) + 30 + h2 % 200,
       date '2017-01-01' + (g % 540) + 30 + h2 % 200, 'WEEKLY',
       ($6::text[])[1 + h4 % 6],
       ($7::uuid[])[1 + h5 % 90],
       CASE WHEN h1 % 4 = 0 THEN ARRAY[($7::uuid[])[1 + (h5 + 1 + h6 % 89) % 90]] ELSE '{}'::uuid[] END,
       ($8::uuid[])[1 + h6 % 10],
       ARRAY[($9::uuid[])[1 + h4 % 600]],
       1, 'bench', timestamptz '2017-01-01' + make_interval(mins => g)
FROM generate_series($1::int, $2::int) g,
     LATERAL (SELECT (hashint4(g) & 2147483647) AS h1, (hashint4(g + 7919) & 2147483647) AS h2,
                     (hashint4(g + 104729) & 2147483647) AS h3, (hashint4(g + 1299709) & 2147483647) AS h4,
                     (hashint4(g + 15485863) & 2147483647) AS h5, (hashint4(g + 179424673) & 2147483647) AS h6) h
"""
# GIN indexes are cheaper to build once after a bulk load than to maintain row by row.
BULK_DROPPED = {
    "items_co_units": "CREATE INDEX items_co_units ON tasks.items USING gin (co_unit_ids)",
    "items_owners": "CREATE INDEX items_owners ON tasks.items USING gin (owner_ids)",
    "items_text_trgm": "CREATE INDEX items_text_trgm ON tasks.items USING gin"
    " ((title || ' ' || content) public.gin_trgm_ops)",
}
GENERATE_ASSIGNMENTS = """
INSERT INTO tasks.assignments (item_id, unit_id, role, state, percent, last_report_at)
SELECT i.id, u.unit_id, u.role,
       CASE i.state WHEN 'ASSIGNED' THEN 'ASSIGNED' WHEN 'COMPLETED' THEN 'COMPLETED'
                    ELSE 'IN_PROGRESS' END,
       CASE i.state WHEN 'COMPLETED' THEN 100 WHEN 'ASSIGNED' THEN 0 ELSE 50 END,
       i.created_at + interval '7 days'
FROM tasks.items i
CROSS JOIN LATERAL (SELECT i.lead_unit_id AS unit_id, 'LEAD' AS role
                    UNION ALL SELECT c, 'CO' FROM unnest(i.co_unit_ids) c) u
WHERE i.created_at >= timestamptz '2017-01-01' + make_interval(mins => $1)
"""


async def seed_organisation(conn: asyncpg.Connection) -> dict[str, list[uuid.UUID]]:
    units = [uuid.uuid4() for _ in range(90)]
    kinds = ["STREET"] * 30 + ["TOWNSHIP"] * 20 + ["DEPARTMENT"] * 40
    await conn.executemany(
        "INSERT INTO tasks.units (id, code, name, kind, category) VALUES ($1, $2, $3, $4, $5)",
        [(u, f"U{i:03d}", f"单位{i:03d}", kinds[i], kinds[i]) for i, u in enumerate(units)],
    )
    leaders = [uuid.uuid4() for _ in range(10)]
    cadres = [uuid.uuid4() for _ in range(690)]
    await conn.executemany(
        "INSERT INTO tasks.people (id, name, unit_id, rank, roles) VALUES ($1, $2, $3, $4, $5)",
        [(p, f"区领导{i}", None, "正处", ["LEADER"]) for i, p in enumerate(leaders)]
        + [(p, f"干部{i}", units[i % 90], "正科", ["CADRE"]) for i, p in enumerate(cadres)],
    )
    return {"units": units, "leaders": leaders, "cadres": cadres}


async def generate_items(
    conn: asyncpg.Connection, org: dict[str, list[uuid.UUID]], first: int, last: int
) -> None:
    batch = 250_000
    bulk = last - first > 100_000
    if bulk:
        for name in BULK_DROPPED:
            await conn.execute(f"DROP INDEX IF EXISTS tasks.{name}")
    for lo in range(first, last + 1, batch):
        hi = min(last, lo + batch - 1)
        await conn.execute(
            GENERATE_ITEMS,
            lo,
            hi,
            PLACES,
            ACTIONS,
            SOURCES,
            STATES,
            org["units"],
            org["leaders"],
            org["cadres"],
        )
    await conn.execute(GENERATE_ASSIGNMENTS, first)
    if bulk:
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for ddl in BULK_DROPPED.values():
            await conn.execute(ddl)
    await conn.execute("ANALYZE tasks.items; ANALYZE tasks.assignments")


async def generate_history(conn: asyncpg.Connection, org: dict[str, list[uuid.UUID]]) -> list[str]:
    """DETAIL_ITEMS items each with 20 reports, 2 instructions, 3 chases, a verification
    and audit entries (written through the audit chain trigger)."""
    rows = await conn.fetch(
        "SELECT id, lead_unit_id FROM tasks.items ORDER BY created_at LIMIT $1", DETAIL_ITEMS
    )
    for r in rows:
        item, unit = r["id"], r["lead_unit_id"]
        await conn.executemany(
            "INSERT INTO tasks.progress_reports (id, item_id, unit_id, percent, narrative,"
            " problems, next_steps, reported_by, reported_at)"
            " VALUES ($1, $2, $3, $4, $5, '资金', '继续推进', 'bench', now() - make_interval(days => $6))",
            [
                (uuid.uuid4(), item, unit, 5 * k, f"第{k}次汇报：按计划推进", 40 - k)
                for k in range(20)
            ],
        )
        await conn.executemany(
            "INSERT INTO tasks.instructions (id, item_id, leader_id, content, created_at)"
            " VALUES ($1, $2, $3, '请加快推进', now())",
            [(uuid.uuid4(), item, str(org["leaders"][0])) for _ in range(2)],
        )
        await conn.executemany(
            "INSERT INTO tasks.chases (id, item_id, unit_id, chased_by, note, created_at)"
            " VALUES ($1, $2, $3, 'bench', '请尽快报送', now())",
            [(uuid.uuid4(), item, unit) for _ in range(3)],
        )
        await conn.execute(
            "INSERT INTO tasks.verifications (id, item_id, unit_id, approved, note, decided_by,"
            " decided_at) VALUES ($1, $2, $3, true, '核实通过', 'bench', now())",
            uuid.uuid4(),
            item,
            unit,
        )
        await conn.executemany(
            "INSERT INTO tasks.audit_log (actor_id, action, subject_type, subject_id, item_id,"
            " after) VALUES ('bench', $1, 'item', $2, $3, $4::jsonb)",
            [
                ("report.submitted", str(item), item, json.dumps({"percent": 5 * k}))
                for k in range(30)
            ],
        )
    return [str(r["id"]) for r in rows]


Call = Callable[[int], Awaitable[None]]


async def measure(call: Call) -> dict[str, Any]:
    samples: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            t0 = time.perf_counter()
            await call(i)
            samples.append((time.perf_counter() - t0) * 1000)

    for i in range(10):  # warm-up
        await call(REQUESTS + i)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latency_summary(samples, time.perf_counter() - started)


def scenarios(
    org: dict[str, list[uuid.UUID]], detail_ids: list[str]
) -> dict[str, tuple[str, Callable[[int], dict[str, Any]]]]:
    rng = random.Random(7)
    units = [str(u) for u in org["units"]]
    leaders = [str(p) for p in org["leaders"]]

    def by_unit(i: int) -> dict[str, Any]:
        return {"n": 20 + i % 30, "f": {"unitId": rng.choice(units), "states": ["IN_PROGRESS"]}}

    def by_keyword(i: int) -> dict[str, Any]:
        return {"n": 20 + i % 30, "f": {"keyword": rng.choice(KEYWORDS), "year": 2017 + i % 2}}

    def by_deadline(i: int) -> dict[str, Any]:
        start = 30 + rng.randrange(500)
        return {
            "n": 20 + i % 30,
            "f": {
                "sources": [rng.choice(SOURCES)],
                "responsibleLeaderId": rng.choice(leaders),
                "deadlineFrom": f"2017-{1 + start // 60 % 12:02d}-01",
                "deadlineTo": f"2018-{1 + start // 60 % 12:02d}-28",
            },
        }

    def detail(i: int) -> dict[str, Any]:
        return {"id": detail_ids[(i * 7 + rng.randrange(3)) % len(detail_ids)]}

    return {
        "list_unit_state": (LIST_BY_UNIT, by_unit),
        "list_keyword_year": (LIST_BY_UNIT, by_keyword),
        "list_source_leader_deadline": (LIST_BY_UNIT, by_deadline),
        "detail_with_history": (DETAIL, detail),
    }


async def run_size(
    stack: Stack, settings: Settings, org: dict[str, list[uuid.UUID]], detail_ids: list[str]
) -> dict[str, Any]:
    token = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"])
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as client:
        for name, (query, variables) in scenarios(org, detail_ids).items():
            for target, url in (
                ("gateway", stack.gateway_url),
                ("direct", stack.service_url("tasks")),
            ):

                async def one(
                    i: int,
                    url: str = url,
                    query: str = query,
                    variables: Callable[[int], dict[str, Any]] = variables,
                ) -> None:
                    r = await client.post(url, json={"query": query, "variables": variables(i)})
                    body = r.json()
                    assert not body.get("errors"), body["errors"]

                out[f"{name}_{target}"] = await measure(one)
    return out


async def explain(dsn: str, org: dict[str, list[uuid.UUID]]) -> dict[str, str]:
    """The plans of the list queries (first line = the top node, with the index used)."""
    from services.tasks.items import store as q

    conn = await asyncpg.connect(dsn, server_settings={"search_path": "tasks,public"})
    try:
        plans = {}
        filters = {
            "unit_state": q.ItemFilter(unit_id=org["units"][3], states=["IN_PROGRESS"]),
            "keyword_year": q.ItemFilter(keyword=KEYWORDS[5], year=2018),
            "source_leader_deadline": q.ItemFilter(
                sources=["KEY_WORK"], responsible_leader_id=org["leaders"][2]
            ),
        }
        for name, f in filters.items():
            where = q.item_conditions(f, None, q.Where(first_param=2))
            rows = await conn.fetch(
                "EXPLAIN (ANALYZE, COSTS OFF) SELECT id FROM items WHERE "
                f"{where.sql()} ORDER BY created_at DESC, id DESC LIMIT $1",
                50,
                *where.args,
            )
            lines = [r[0] for r in rows]
            used = [ln.strip() for ln in lines if "Index" in ln or "Seq Scan" in ln]
            timing = [ln for ln in lines if ln.startswith("Execution Time")]
            plans[name] = "; ".join(used[:3] + timing)
        return plans
    finally:
        await conn.close()


def main(results: dict[str, Any]) -> None:
    figures: dict[str, Any] = {"requests_per_case": REQUESTS, "concurrency": CONCURRENCY}
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)

        async def seed_demo() -> tuple[dict[str, list[uuid.UUID]], list[str]]:
            conn = await asyncpg.connect(dsn)
            try:
                org = await seed_organisation(conn)
                await generate_items(conn, org, 1, DEMO_ITEMS)
                return org, await generate_history(conn, org)
            finally:
                await conn.close()

        org, detail_ids = asyncio.run(seed_demo())
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
            figures["demo_2200"] = asyncio.run(run_size(stack, settings, org, detail_ids))
            figures["demo_2200"]["plans"] = asyncio.run(explain(dsn, org))

            async def grow() -> float:
                conn = await asyncpg.connect(dsn)
                try:
                    t0 = time.perf_counter()
                    await generate_items(conn, org, DEMO_ITEMS + 1, BIG_ITEMS)
                    return time.perf_counter() - t0
                finally:
                    await conn.close()

            seconds = asyncio.run(grow())
            key = f"big_{BIG_ITEMS}"
            figures[key] = asyncio.run(run_size(stack, settings, org, detail_ids))
            figures[key]["generate_seconds"] = round(seconds, 1)
            figures[key]["plans"] = asyncio.run(explain(dsn, org))
        finally:
            stack.stop()
    results["tasks_items"] = figures
    for size in ("demo_2200", f"big_{BIG_ITEMS}"):
        f = figures[size]
        for case in ("list_unit_state", "list_keyword_year", "list_source_leader_deadline",
                     "detail_with_history"):  # fmt: skip
            print(
                f"{size} {case}: gateway p50 {f[case + '_gateway']['p50_ms']} ms"
                f" p99 {f[case + '_gateway']['p99_ms']} ms; direct p50"
                f" {f[case + '_direct']['p50_ms']} ms p99 {f[case + '_direct']['p99_ms']} ms"
            )
