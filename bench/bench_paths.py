"""Issue 15's table: each request path side by side, in one run, with the goals beside it.

Two cases, each four ways — through Ducha's Hive Gateway, through a bare Hive Gateway (the
same supergraph and planner with no plugin at all: gateway/bench-bare, the floor no gateway
configuration can go below), straight to the subgraph(s) (the fetches the gateway's plan
makes, back to back), and the raw SQL through asyncpg; ``item`` also a fifth, a bare
Strawberry subgraph answering the same query from the same SQL (bench/bare_subgraph.py, the
floor under "direct"):

- ``item``: one item by id with its lead unit (tasks only);
- ``unit_items``: 20 items of a unit with their colour (tasks, then alerts ``_entities``).

Each runs at 1 and 16 clients, first on a quiet stack, then while the consumers work
through a backlog of BACKLOG events; every request names a different random item or unit
(the gateway de-duplicates identical in-flight requests). Prints the table with the ratios
and goals, stores it under ``paths`` in bench-results.json and draws the latency
distributions to ``bench-paths.png``.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.bench_alerts import event_latency
from bench.event_path import breakdown, print_breakdown, wait_for_stamps
from bench.lean_http import LeanClient
from bench.support import embedded_servers, latency_summary, wait_http_ok
from services.contracts.tasks import AssignmentSnapshot, ItemCreated, ItemSnapshot
from services.core.auth import mint_token
from services.core.bus import connect_nats
from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import GATEWAY_DIR, ROOT, Stack, free_port, migrate_all

UNITS = 90
ITEMS = 2200
SECONDS = float(os.environ.get("BENCH_PATHS_SECONDS", "6"))
# each cell's SECONDS are split into this many turns, the ways of a case taking turns
ROUNDS = int(os.environ.get("BENCH_PATHS_ROUNDS", "3"))
BACKLOG = int(os.environ.get("BENCH_PATHS_BACKLOG", "20000"))
CHART = Path(os.environ.get("BENCH_PATHS_CHART", "bench-paths.png"))
# each service as an API process and a lower-priority worker process, as `ducha run` and
# Kubernetes run it (ADR 0021); BENCH_PATHS_SPLIT=0 measures one process per service
SPLIT = os.environ.get("BENCH_PATHS_SPLIT", "1") not in ("0", "false")
# event → colour segment by segment from the services' event path timing (ADR 0020)
BREAKDOWN = os.environ.get("BENCH_PATHS_BREAKDOWN", "0") not in ("0", "false", "")

ITEM_GATEWAY = (
    "query($id: ID!) { item(id: $id) { id code title state deadline leadUnit { name } } }"
)
ITEM_SQL = """SELECT i.id, i.code, i.title, i.state, i.deadline, u.name
  FROM tasks.items i JOIN tasks.units u ON u.id = i.lead_unit_id WHERE i.id = $1"""
UNIT_GATEWAY = """query($u: ID!) { items(first: 20, unitId: $u) {
  nodes { id code title deadline alert { level } } } }"""
UNIT_TASKS = "query($u: ID!) { items(first: 20, unitId: $u) { nodes { id code title deadline } } }"
UNIT_ALERTS = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on SupervisionItem { alert { level } } } }"""
UNIT_SQL = """SELECT id, code, title, deadline FROM tasks.items WHERE lead_unit_id = $1
  ORDER BY created_at DESC, id DESC LIMIT 20"""
ALERTS_SQL = "SELECT id, level FROM alerts.items WHERE id = ANY($1::uuid[])"

# (figure, goal, how to read it) — issue 15's goals
GOALS = [
    ("item: direct p50 − raw p50 (1 client)", 0.6, "≤ ms"),
    ("item: gateway p50 ÷ direct p50 (1 client)", 1.5, "≤ ×"),
    ("unit_items: gateway p50 ÷ direct p50 (1 client)", 2.5, "≤ ×"),
    ("item: gateway req/s (16 clients)", 900, "≥ req/s"),
    ("unit_items: gateway req/s (16 clients)", 500, "≥ req/s"),
    ("item: gateway p50 under backlog ÷ quiet (1 client)", 1.3, "≤ ×"),
    ("event → colour p50 ÷ publish-ack p50", 3.0, "≤ ×"),
    ("event → colour p99", 10.0, "≤ ms"),
]


async def seed(dsn: str) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    rng = random.Random(15)
    conn = await asyncpg.connect(dsn)
    try:
        units = [uuid.uuid4() for _ in range(UNITS)]
        await conn.executemany(
            "INSERT INTO tasks.units (id, code, name, kind, category) VALUES ($1, $2, $3, 'STREET', '街道')",
            [(u, f"B{i:03d}", f"第{i}街道") for i, u in enumerate(units)],
        )
        items = [uuid.uuid4() for _ in range(ITEMS)]
        start = date(2018, 1, 2)
        rows = [
            (
                i,
                f"DB-2018-{n + 1:04d}",
                f"督办事项{n + 1}",
                start,
                start + timedelta(days=60 + n % 300),
                rng.choice(units),
                n,
            )
            for n, i in enumerate(items)
        ]
        await conn.executemany(
            "INSERT INTO tasks.items (id, code, title, source, start_date, deadline,"
            " original_deadline, state, lead_unit_id, created_at)"
            " VALUES ($1, $2, $3, 'KEY_WORK', $4, $5, $5, 'IN_PROGRESS', $6,"
            "  now() - make_interval(secs => $7))",
            rows,
        )
        await conn.executemany(
            "INSERT INTO alerts.items (id, code, title, source, state, start_date, deadline,"
            " original_deadline, lead_unit_id, snapshot, version, level, reason, level_since)"
            " VALUES ($1, $2, $3, 'KEY_WORK', 'IN_PROGRESS', $4, $5, $5, $6, '{}'::jsonb, 1,"
            "  $7, '', now())",
            [(*r[:6], ("GREEN", "YELLOW", "BLUE", "RED")[r[6] % 4]) for r in rows],
        )
        return items, units
    finally:
        await conn.close()


async def publish_backlog(nats_url: str, units: list[uuid.UUID], n: int) -> None:
    """n ``tasks.item.created`` events for new items, straight onto the TASKS stream."""
    nc = await connect_nats(nats_url, "bench-backlog")
    js = nc.jetstream()
    now = datetime.now(UTC)
    try:
        pending = []
        for k in range(n):
            item_id = str(uuid.uuid4())
            unit = str(units[k % len(units)])
            snapshot = ItemSnapshot(
                id=item_id,
                code=f"DB-2019-{k + 1:05d}",
                title=f"积压事项{k + 1}",
                source="KEY_WORK",
                start_date=date(2018, 6, 1),
                deadline=date(2018, 9, 28),
                original_deadline=date(2018, 9, 28),
                state="ASSIGNED",
                lead_unit_id=unit,
                assignments=[AssignmentSnapshot(unit_id=unit)],
                created_at=now,
            )
            env = ItemCreated(item=snapshot).envelope(item_id, 1)
            pending.append(
                js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})
            )
            if len(pending) >= 500:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await nc.close()


async def drive(
    call: Callable[[random.Random], Awaitable[None]], clients: int, seconds: float = SECONDS
) -> tuple[list[float], float]:
    """``clients`` workers calling for ``seconds``, each request with its own random pick:
    the latencies (ms) and the wall time they took."""
    samples: list[float] = []
    rng = random.Random(clients)
    for _ in range(10):  # warm-up
        await call(rng)
    deadline = time.perf_counter() + seconds

    async def worker(seed: int) -> None:
        own = random.Random(seed)
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await call(own)
            samples.append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in range(clients)))
    return samples, time.perf_counter() - started


async def interleaved(
    ways: Mapping[str, Callable[[random.Random], Awaitable[None]]], clients: int
) -> dict[str, tuple[list[float], float]]:
    """Each way for SECONDS in all, in ROUNDS turns taken in order, so the ways being
    compared share the same moments of a shared machine's load."""
    out: dict[str, tuple[list[float], float]] = {w: ([], 0.0) for w in ways}
    for _ in range(ROUNDS):
        for way, call in ways.items():
            samples, wall = await drive(call, clients, SECONDS / ROUNDS)
            out[way] = (out[way][0] + samples, out[way][1] + wall)
    return out


async def run(
    stack: Stack,
    settings: Settings,
    items: list[uuid.UUID],
    units: list[uuid.UUID],
    bare_url: str,
    bare_sub_url: str,
) -> dict[str, Any]:
    token = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"])
    headers = {"authorization": f"Bearer {token}"}
    # a client with next to no cost of its own (bench/lean_http.py: httpx's is about 1 ms)
    http = {
        url: LeanClient(url, headers)
        for url in (
            stack.gateway_url,
            bare_url,
            bare_sub_url,
            stack.service_url("tasks"),
            stack.service_url("alerts"),
        )
    }
    pool = await asyncpg.create_pool(stack.database_url, min_size=4, max_size=16)
    assert pool is not None

    async def gql(url: str, query: str, variables: dict[str, Any]) -> Any:
        status, raw = await http[url].post(orjson.dumps({"query": query, "variables": variables}))
        body = orjson.loads(raw)
        assert status == 200 and not body.get("errors"), body
        return body["data"]

    async def item_gateway(rng: random.Random) -> None:
        assert (await gql(stack.gateway_url, ITEM_GATEWAY, {"id": str(rng.choice(items))}))["item"]

    async def item_bare(rng: random.Random) -> None:
        assert (await gql(bare_url, ITEM_GATEWAY, {"id": str(rng.choice(items))}))["item"]

    async def item_direct(rng: random.Random) -> None:
        assert (
            await gql(stack.service_url("tasks"), ITEM_GATEWAY, {"id": str(rng.choice(items))})
        )["item"]

    async def item_bare_sub(rng: random.Random) -> None:
        assert (await gql(bare_sub_url, ITEM_GATEWAY, {"id": str(rng.choice(items))}))["item"]

    async def item_raw(rng: random.Random) -> None:
        async with pool.acquire() as conn:
            assert await conn.fetchrow(ITEM_SQL, rng.choice(items))

    async def unit_gateway(rng: random.Random) -> None:
        await gql(stack.gateway_url, UNIT_GATEWAY, {"u": str(rng.choice(units))})

    async def unit_bare(rng: random.Random) -> None:
        await gql(bare_url, UNIT_GATEWAY, {"u": str(rng.choice(units))})

    async def unit_direct(rng: random.Random) -> None:
        data = await gql(stack.service_url("tasks"), UNIT_TASKS, {"u": str(rng.choice(units))})
        reps = [{"__typename": "SupervisionItem", "id": n["id"]} for n in data["items"]["nodes"]]
        if reps:
            await gql(stack.service_url("alerts"), UNIT_ALERTS, {"r": reps})

    async def unit_raw(rng: random.Random) -> None:
        async with pool.acquire() as conn:
            rows = await conn.fetch(UNIT_SQL, rng.choice(units))
            await conn.fetch(ALERTS_SQL, [r["id"] for r in rows])

    paths = {
        "item": {
            "gateway": item_gateway,
            "bare": item_bare,
            "direct": item_direct,
            "bare_sub": item_bare_sub,
            "raw": item_raw,
        },
        "unit_items": {
            "gateway": unit_gateway,
            "bare": unit_bare,
            "direct": unit_direct,
            "raw": unit_raw,
        },
    }
    table: dict[str, Any] = {}
    distributions: dict[str, list[float]] = {}

    async def healthz(rng: random.Random) -> None:
        status, _ = await http[stack.service_url("tasks")].get("/healthz")
        assert status == 200

    try:
        # the floor under "direct": one HTTP round trip to the service, no GraphQL, no SQL
        table["http_floor"] = latency_summary(*await drive(healthz, 1))
        for load in ("quiet", "backlog"):
            if load == "backlog":
                # issue 4's figure, on a quiet stack: a task event to the colour it commits
                trace: list[dict[str, Any]] | None = [] if BREAKDOWN else None
                table["event_latency"] = await event_latency(stack.nats_url, trace)
                if trace:
                    stamps = await wait_for_stamps(stack.data_dir, [s["key"] for s in trace])
                    table["event_latency"]["segments"] = breakdown(trace, stamps)
                await publish_backlog(stack.nats_url, units, BACKLOG)
            for case, ways in paths.items():
                for clients in (1, 16):
                    for way, (samples, wall) in (await interleaved(ways, clients)).items():
                        table[f"{case}|{way}|{clients}|{load}"] = latency_summary(samples, wall)
                        distributions[f"{case} {way} {clients}c {load}"] = samples
    finally:
        await pool.close()
        for c in http.values():
            await c.aclose()
    return {"table": table, "distributions": distributions}


def figures(table: dict[str, Any]) -> dict[str, float]:
    def p50(case: str, way: str, clients: int, load: str = "quiet") -> float:
        return float(table[f"{case}|{way}|{clients}|{load}"]["p50_ms"])

    def rps(case: str, way: str, clients: int) -> float:
        return float(table[f"{case}|{way}|{clients}|quiet"]["throughput_per_s"])

    return {
        GOALS[0][0]: round(p50("item", "direct", 1) - p50("item", "raw", 1), 3),
        GOALS[1][0]: round(p50("item", "gateway", 1) / p50("item", "direct", 1), 2),
        GOALS[2][0]: round(p50("unit_items", "gateway", 1) / p50("unit_items", "direct", 1), 2),
        GOALS[3][0]: rps("item", "gateway", 16),
        GOALS[4][0]: rps("unit_items", "gateway", 16),
        GOALS[5][0]: round(p50("item", "gateway", 1, "backlog") / p50("item", "gateway", 1), 2),
        GOALS[6][0]: round(
            table["event_latency"]["event_to_colour"]["p50_ms"]
            / table["event_latency"]["raw_jetstream_publish_ack"]["p50_ms"],
            2,
        ),
        GOALS[7][0]: float(table["event_latency"]["event_to_colour"]["p99_ms"]),
    }


def floors(table: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """For the goals a configuration could be blamed for, the same figure where nothing of
    Ducha's runs: the bare Hive Gateway (no plugin) and the bare Strawberry subgraph
    (bench/bare_subgraph.py: the same query from the same SQL, nothing else)."""

    def p50(case: str, way: str, clients: int = 1) -> float:
        return float(table[f"{case}|{way}|{clients}|quiet"]["p50_ms"])

    def rps(case: str, way: str) -> float:
        return float(table[f"{case}|{way}|16|quiet"]["throughput_per_s"])

    bare = "bare Hive Gateway"
    return {
        GOALS[0][0]: (
            round(p50("item", "bare_sub") - p50("item", "raw"), 3),
            "bare Strawberry subgraph − raw",
        ),
        GOALS[1][0]: (round(p50("item", "bare") / p50("item", "direct"), 2), bare),
        GOALS[2][0]: (round(p50("unit_items", "bare") / p50("unit_items", "direct"), 2), bare),
        GOALS[3][0]: (rps("item", "bare"), bare),
        GOALS[4][0]: (rps("unit_items", "bare"), bare),
    }


def met(value: float, goal: float, how: str) -> bool:
    return value >= goal if how.startswith("≥") else value <= goal


def print_table(table: dict[str, Any], measured: dict[str, float]) -> None:
    print(
        f"{'case':<11} {'clients':>7} {'load':<8} {'gateway p50':>12} {'bare gw p50':>12}"
        f" {'direct p50':>11} {'bare sub p50':>12} {'raw p50':>9} {'gw req/s':>9}"
        f" {'bare req/s':>10} {'gw/direct':>9} {'bare/direct':>11}"
    )
    for case in ("item", "unit_items"):
        for load in ("quiet", "backlog"):
            for clients in ("1", "16"):
                gw, bare, direct, raw = (
                    table[f"{case}|{w}|{clients}|{load}"]
                    for w in ("gateway", "bare", "direct", "raw")
                )
                sub = table.get(f"{case}|bare_sub|{clients}|{load}")
                sub_p50 = f"{sub['p50_ms']:>9} ms" if sub else f"{'-':>12}"
                print(
                    f"{case:<11} {clients:>7} {load:<8} {gw['p50_ms']:>9} ms {bare['p50_ms']:>9} ms"
                    f" {direct['p50_ms']:>8} ms {sub_p50} {raw['p50_ms']:>6} ms"
                    f" {gw['throughput_per_s']:>9} {bare['throughput_per_s']:>10}"
                    f" {gw['p50_ms'] / direct['p50_ms']:>9.2f}"
                    f" {bare['p50_ms'] / direct['p50_ms']:>11.2f}"
                )
    print(f"HTTP floor (tasks /healthz, 1 client) p50 {table['http_floor']['p50_ms']} ms")
    events = table["event_latency"]
    print(
        f"event → colour p50 {events['event_to_colour']['p50_ms']} ms,"
        f" p99 {events['event_to_colour']['p99_ms']} ms;"
        f" JetStream publish-ack p50 {events['raw_jetstream_publish_ack']['p50_ms']} ms,"
        f" p99 {events['raw_jetstream_publish_ack']['p99_ms']} ms"
    )
    if "segments" in events:
        print_breakdown(events["segments"])
    print()
    below = floors(table)
    for name, goal, how in GOALS:
        value = measured[name]
        floor = f"; {below[name][1]}: {below[name][0]}" if name in below else ""
        print(
            f"{'met ' if met(value, goal, how) else 'MISS'} {name}: {value}"
            f" (goal {how} {goal}{floor})"
        )


def chart(distributions: dict[str, list[float]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(14, 6))
    for ax, case in zip(axes, ("item", "unit_items"), strict=True):
        labels = [k for k in distributions if k.startswith(case + " ")]
        ax.boxplot([distributions[k] for k in labels], vert=False, showfliers=False)
        ax.set_yticks(range(1, len(labels) + 1), [k[len(case) + 1 :] for k in labels], fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_title(case)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(results: dict[str, Any]) -> None:
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        items, units = asyncio.run(seed(dsn))
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
        stack = Stack(
            root,
            dsn,
            nats_url,
            settings.signing_secret(),
            extra_env={
                "LOG_LEVEL": "WARNING",
                "DEV_MODE": "0",
                "EVENT_PATH_TIMING": "1" if BREAKDOWN else "0",
            },
            split_roles=SPLIT,
        )
        try:
            for name in SERVICE_NAMES:
                stack.start_service(name)
            stack.start_gateway()
            bare_port = free_port()
            stack.spawn_gateway(bare_port, GATEWAY_DIR / "bench-bare", "gateway-bare.log")
            stack.wait_ready(120)
            wait_http_ok(f"http://127.0.0.1:{bare_port}/readiness", 120)
            bare_url = f"http://127.0.0.1:{bare_port}/graphql"
            bare_sub_port = free_port()
            bare_sub_args = ["--port", str(bare_sub_port), "--dsn", dsn]
            stack.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bench.bare_subgraph", *bare_sub_args],
                    cwd=ROOT,
                    stdout=(root / "bare-subgraph.log").open("ab"),
                    stderr=subprocess.STDOUT,
                )
            )
            wait_http_ok(f"http://127.0.0.1:{bare_sub_port}/healthz", 60)
            bare_sub_url = f"http://127.0.0.1:{bare_sub_port}/graphql"
            measured_run = asyncio.run(run(stack, settings, items, units, bare_url, bare_sub_url))
        finally:
            stack.stop()
    measured = figures(measured_run["table"])
    below = floors(measured_run["table"])
    print_table(measured_run["table"], measured)
    chart(measured_run["distributions"], CHART)
    print(f"latency distributions drawn to {CHART}")
    results["paths"] = {
        "seconds_per_cell": SECONDS,
        "backlog_events": BACKLOG,
        "api_worker_split": SPLIT,
        "table": measured_run["table"],
        "goals": {
            n: {
                "value": measured[n],
                "goal": g,
                "met": met(measured[n], g, h),
                **({"floor": below[n][0], "floor_is": below[n][1]} if n in below else {}),
            }
            for n, g, h in GOALS
        },
        "chart": str(CHART),
    }
