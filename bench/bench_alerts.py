"""The colour engine: sweep throughput, API latency during a sweep, event-to-colour latency.

1. Sweep: open items seeded straight into the alerts projection (set-based SQL; ~3% of
   them change colour on the sweep day: overdue, stalled, lagging). The sweep runs in its
   own process (as on the replica holding the job lock) over 10,000 and then the largest
   size (BENCH_ALERTS_MAX, default 300,000). Three sweeps each: day 0 with every item
   due (what a migration or a rule change causes), day 1 with only the items whose
   recheck day has come (the steady state), and a full sweep ignoring recheck days.
   Reported: seconds, items/s, colour changes.
2. API while sweeping: an alerts service process answers `_entities` alert look-ups of 5
   random items, sequentially, while idle and while the sweep runs; p50/p99 of each.
3. Event to colour: a `tasks.item.progress_reported` event is published to JetStream and
   the clock runs until the alerts service's `alerts.level.changed` for that item arrives
   on a NATS subscription (consumer → projection → rule → outbox → relay → JetStream).
   Compared with a raw JetStream publish-ack in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import nats

from bench.support import embedded_servers, latency_summary
from services.contracts import tasks as t
from services.contracts.alerts import LevelChanged
from services.core.auth import mint_token
from services.core.events import Envelope
from services.core.settings import Settings
from services.stack import Stack, migrate_all

SWEEP_DAY = date(2026, 6, 15)  # a Monday inside the shipped calendar
# 1,000,000 takes ~100 s to seed and minutes to sweep in full on this 2-core machine: the
# default run stops at 300,000 and extrapolates; BENCH_ALERTS_MAX=1000000 runs the full size.
SIZES = (10_000, int(os.environ.get("BENCH_ALERTS_MAX", "300000")))
SEED_CHUNK = 250_000
API_SAMPLES = 300
EVENT_SAMPLES = 200

ENTITY_QUERY = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on SupervisionItem { alert { level reason since } } } }"""

# Open items spread over 90 units; i % 100 picks what happens on the sweep day:
# 0 → the deadline was yesterday (RED), 1 → no gain for 30 days (BLUE),
# 2 → 5% reported, half-way through (YELLOW); everything else stays GREEN.
SEED_SQL = """
INSERT INTO items (id, code, title, source, state, start_date, deadline, original_deadline,
  lead_unit_id, co_unit_ids, snapshot, version, reporting_cycle, plan_nodes, units, level,
  reason, level_since, level_version, rule_version)
SELECT id, 'DB-B-' || i, '压测事项' || i, src, 'IN_PROGRESS', start_date, deadline, deadline,
  unit, '{}', '{}'::jsonb, 1, 'WEEKLY', '[]'::jsonb,
  jsonb_build_array(jsonb_build_object('unit_id', unit::text, 'percent', pct,
    'last_gain_on', gain::text, 'done', false)),
  'GREEN', '正常推进', now(), 1, 1
FROM (
  SELECT i, gen_random_uuid() AS id,
    (ARRAY['KEY_WORK','LEADER_INSTRUCTION','MAJOR_PROJECT','PUBLIC_REQUEST'])[1 + i % 4] AS src,
    $2::date - (40 + i % 50)::int AS start_date,
    CASE WHEN i % 100 = 0 THEN $2::date - 1 ELSE $2::date + (20 + i % 300)::int END AS deadline,
    $3::uuid[] AS units_arr,
    CASE WHEN i % 100 = 2 THEN 5 ELSE 90 END AS pct,
    CASE WHEN i % 100 = 1 THEN $2::date - 30 ELSE $2::date - (i % 4)::int END AS gain
  FROM generate_series($1::bigint, $1::bigint + $4 - 1) AS i
) s, LATERAL (SELECT s.units_arr[1 + (s.i % 90)::int] AS unit) u
"""

SWEEP_CHILD = """
import asyncio, json, sys
from datetime import datetime
from services.alerts.colour.jobs import sweep
from services.core.db import create_pool

async def main() -> None:
    pool = await create_pool(sys.argv[1], "alerts", 1, 2)
    result = await sweep(pool, datetime.fromisoformat(sys.argv[2]), full=sys.argv[3] == "full")
    await pool.close()
    print(json.dumps({"items": result.items, "changed": result.changed, "seconds": result.seconds}))

asyncio.run(main())
"""


def sweep_moment(days_later: int = 0) -> datetime:
    day = SWEEP_DAY + timedelta(days=days_later)
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


async def seed(dsn: str, units: list[uuid.UUID], start: int, count: int) -> float:
    began = time.perf_counter()
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "alerts,public"})
    try:
        done = 0
        while done < count:
            n = min(SEED_CHUNK, count - done)
            await conn.execute(SEED_SQL, start + done, SWEEP_DAY, units, n)
            done += n
        await conn.execute("ANALYZE items")
    finally:
        await conn.close()
    return time.perf_counter() - began


async def sample_ids(dsn: str, n: int) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id FROM alerts.items TABLESAMPLE SYSTEM (5) LIMIT $1", n)
        if len(rows) < n:
            rows = await conn.fetch("SELECT id FROM alerts.items LIMIT $1", n)
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows]


async def api_latency(
    client: httpx.AsyncClient, url: str, bearer: str, ids: list[str], until: Any = None
) -> list[float]:
    """Sequential entity look-ups: API_SAMPLES of them, or until ``until`` finishes."""
    samples: list[float] = []
    headers = {"authorization": f"Bearer {bearer}"}
    while True:
        reps = [{"__typename": "SupervisionItem", "id": i} for i in random.sample(ids, 5)]
        began = time.perf_counter()
        r = await client.post(
            url, json={"query": ENTITY_QUERY, "variables": {"r": reps}}, headers=headers
        )
        samples.append((time.perf_counter() - began) * 1000)
        assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]
        if until is None and len(samples) >= API_SAMPLES:
            return samples
        if until is not None and until.returncode is not None:
            return samples
        if until is not None:
            await asyncio.sleep(0.01)  # ~ a steady trickle, not a flood


async def run_sweep_with_load(
    dsn: str, stack: Stack, bearer: str, ids: list[str], days_later: int = 0, mode: str = "due"
) -> tuple[dict[str, Any], list[float]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SWEEP_CHILD,
        dsn,
        sweep_moment(days_later).isoformat(),
        mode,
        stdout=subprocess.PIPE,
    )
    async with httpx.AsyncClient(timeout=60) as client:
        samples = await api_latency(client, stack.service_url("alerts"), bearer, ids, until=proc)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out
    return json.loads(out.decode().strip().splitlines()[-1]), samples


def sweep_summary(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "items": result["items"],
        "seconds": round(result["seconds"], 2),
        "items_per_s": round(result["items"] / max(result["seconds"], 1e-9)),
        "colour_changes": result["changed"],
    }


async def sweep_figures(dsn: str, stack: Stack, bearer: str) -> dict[str, Any]:
    units = [uuid.uuid4() for _ in range(90)]
    figures: dict[str, Any] = {}
    seeded = 0
    for size in SIZES:
        seed_s = await seed(dsn, units, seeded, size - seeded)
        seeded = size
        ids = await sample_ids(dsn, 500)
        async with httpx.AsyncClient(timeout=60) as client:
            idle = await api_latency(client, stack.service_url("alerts"), bearer, ids)
        # day 0: every seeded item is due (as after a migration or a rule change)
        first, during = await run_sweep_with_load(dsn, stack, bearer, ids, 0, "due")
        # the next day: only items whose recheck day has come
        nextday, during_next = await run_sweep_with_load(dsn, stack, bearer, ids, 1, "due")
        # the same day again, every open item evaluated (no recheck days used)
        full, during_full = await run_sweep_with_load(dsn, stack, bearer, ids, 1, "full")
        figures[f"sweep_{size}"] = {
            "open_items": full["items"],
            "seed_seconds": round(seed_s, 1),
            "all_due_sweep": sweep_summary(first),
            "next_day_due_sweep": sweep_summary(nextday),
            "full_sweep_no_recheck": sweep_summary(full),
            "api_idle": latency_summary(idle),
            "api_during_all_due_sweep": latency_summary(during),
            "api_during_next_day_sweep": latency_summary(during_next),
            "api_during_full_sweep": latency_summary(during_full),
        }
        print(f"  sweep {size}: {figures[f'sweep_{size}']}", flush=True)
    largest = figures[f"sweep_{SIZES[-1]}"]
    if SIZES[-1] < 1_000_000:
        figures["sweep_1000000_extrapolated_seconds"] = {
            k: round(1_000_000 / largest[k]["items_per_s"], 1)
            for k in ("all_due_sweep", "full_sweep_no_recheck")
        }
    return figures


def progress_event(item: t.ItemSnapshot, version: int, percent: int) -> Envelope:
    now = datetime.now(UTC)
    a = item.assignments[0].model_copy(update={"percent": percent, "last_report_at": now})
    snap = item.model_copy(update={"assignments": [a]})
    contract = t.ItemCreated if version == 1 else t.ItemProgressReported
    return contract(item=snap).envelope(item.id, version, now)


async def event_latency(
    nats_url: str, trace: list[dict[str, Any]] | None = None, samples_wanted: int = EVENT_SAMPLES
) -> dict[str, Any]:
    """Task event published → its ``alerts.level.changed`` received, and raw publish-acks.
    ``trace``: gets each sample's wall-clock stamps (published, publish-acked, colour received,
    under its ``key``) to line up with the services' event path timing (ADR 0020)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    arrived: dict[str, asyncio.Future[float]] = {}
    received_at: dict[str, float] = {}

    async def on_change(msg: Any) -> None:
        env = Envelope.from_json(msg.data)
        key = f"{env.aggregate_id}:{env.aggregate_version}"
        fut = arrived.get(key)
        if fut is not None and not fut.done():
            fut.set_result(time.perf_counter())
            received_at[key] = time.time()

    await nc.subscribe(LevelChanged.type, cb=on_change)
    today = datetime.now(UTC).date()
    unit = str(uuid.uuid4())
    samples: list[float] = []
    # each item flips YELLOW (10%) → GREEN (90%, a gain) → YELLOW (10%) ...
    items = [
        t.ItemSnapshot(
            id=str(uuid.uuid4()),
            code=f"DB-L-{i}",
            title="时延事项",
            source="KEY_WORK",
            start_date=today - timedelta(days=30),
            deadline=today + timedelta(days=30),
            original_deadline=today + timedelta(days=30),
            state="IN_PROGRESS",
            lead_unit_id=unit,
            assignments=[t.AssignmentSnapshot(unit_id=unit)],
        )
        for i in range(samples_wanted // 4)
    ]
    for item in items:
        for version in range(1, 5):
            env = progress_event(item, version, 10 if version % 2 else 90)
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            key = f"{item.id}:{version}"
            arrived[key] = fut
            published = time.time()
            began = time.perf_counter()
            await js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})
            acked = time.time()
            done_at = await asyncio.wait_for(fut, 30)
            samples.append((done_at - began) * 1000)
            if trace is not None:
                trace.append(
                    {
                        "key": key,
                        "published": published,
                        "publish_acked": acked,
                        "colour_received": received_at[key],
                    }
                )
    await js.add_stream(name="BENCHRAW", subjects=["benchraw.>"])
    raw: list[float] = []
    for i in range(EVENT_SAMPLES * 2):
        began = time.perf_counter()
        await js.publish("benchraw.x", b"{}", headers={"Nats-Msg-Id": f"raw-{i}"})
        raw.append((time.perf_counter() - began) * 1000)
    await nc.drain()
    return {
        "event_to_colour": latency_summary(samples),
        "raw_jetstream_publish_ack": latency_summary(raw),
    }


async def run(dsn: str, nats_url: str, stack: Stack, settings: Settings) -> dict[str, Any]:
    bearer = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"], None, "压测")
    figures = {"event_latency": await event_latency(nats_url)}
    print(f"  events: {figures['event_latency']}", flush=True)
    figures.update(await sweep_figures(dsn, stack, bearer))
    return figures


def main(results: dict[str, Any]) -> None:
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        secret = "bench-secret-" + uuid.uuid4().hex
        settings = Settings(jwt_secret=secret, data_dir=root)
        stack = Stack(
            data_dir=root,
            database_url=dsn,
            nats_url=nats_url,
            jwt_secret=secret,
            extra_env={
                "LOG_JSON": "false",
                "LOG_LEVEL": "WARNING",
                "OUTBOX_POLL_SECONDS": "0.5",
                "SWEEP_INTERVAL_SECONDS": "1000000000",  # only the benchmark sweeps
                "DELIVERY_INTERVAL_SECONDS": "1000000000",
            },
        )
        try:
            stack.start_service("alerts")
            stack.wait_ready(120)
            figures = asyncio.run(run(dsn, nats_url, stack, settings))
        finally:
            stack.stop()
    figures["notes"] = (
        "sweep runs in its own process (the job-lock holder) while a second process serves"
        " the API on the same 2 cores; event_to_colour starts at the JetStream publish of the"
        " tasks event (the tasks outbox hop before it is not included)"
    )
    results["alerts"] = figures
