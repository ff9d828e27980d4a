"""Evaluation benchmarks.

1. Incremental scoring per event: each tasks/alerts event of a demo-sized district
   (90 units, ~700 cadres, ~2,200 items) applied the way the consumer applies it (inbox
   row + handler, one transaction per event) — p50/p99 per event.
2. Full rebuild for the demo district: the same events published to JetStream, replayed
   by ``services.evaluation.rebuild`` into a fresh schema and compared with the live ledger.
3. Province-sized rebuild (70,000 cadres, 9,000 units, 2,000,000 events): run at the
   largest fraction that fits the time budget here (EVAL_BENCH_PROVINCE_FRACTION, default
   0.05 = 100k events, 3,500 cadres, 450 units) and extrapolated linearly to the full size.
   Only the replay is timed there (no live ledger is built to compare with).
4. A cadre ranking page (50 rows, every page a different cursor) through the Hive Gateway
   and directly from the evaluation subgraph, for the demo district's year period.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from typing import Any

import httpx

from bench.support import embedded_servers, latency_summary
from services.core.auth import mint_token
from services.core.bus import connect_nats, ensure_streams
from services.core.db import connect
from services.core.events import Envelope, EventContract
from services.core.settings import Settings
from services.evaluation.rebuild.service import apply_batch, rebuild
from services.registry import SERVICE_NAMES
from services.stack import Stack, migrate_all
from tests.evaluation.builders import generated_history
from tests.evaluation.support import HANDLERS

DEMO = {"units": 90, "people": 700, "items": 2200}
PROVINCE = {"units": 9000, "people": 70000, "events": 2_000_000}
FRACTION = float(os.environ.get("EVAL_BENCH_PROVINCE_FRACTION", "0.05"))
RANKING_REQUESTS = 200
CONCURRENCY = 4

Events = list[tuple[Envelope, EventContract]]


async def publish(nats_url: str, events: Events) -> float:
    nc = await connect_nats(nats_url, "bench-evaluation")
    js = nc.jetstream()
    await ensure_streams(js)
    started = time.perf_counter()
    try:
        for i in range(0, len(events), 200):
            await asyncio.gather(
                *(
                    js.publish(
                        env.subject,
                        env.to_json(),
                        timeout=30,
                        headers={"Nats-Msg-Id": str(env.id)},
                    )
                    for env, _ in events[i : i + 200]
                )
            )
    finally:
        await nc.close()
    return time.perf_counter() - started


async def purge_streams(nats_url: str) -> None:
    nc = await connect_nats(nats_url, "bench-evaluation-purge")
    try:
        js = nc.jetstream()
        for stream in ("TASKS", "ALERTS"):
            await js.purge_stream(stream)
    finally:
        await nc.close()


async def incremental(dsn: str, events: Events) -> dict[str, Any]:
    """One transaction per event, in order: what the live consumer does."""
    conn = await connect(dsn, "evaluation")
    samples: list[float] = []
    started = time.perf_counter()
    try:
        for env, ev in events:
            t0 = time.perf_counter()
            await apply_batch(conn, [(env, ev, HANDLERS[env.type])])
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        await conn.close()
    return latency_summary(samples, time.perf_counter() - started)


async def timed_rebuild(dsn: str, nats_url: str, target: str) -> dict[str, Any]:
    nc = await connect_nats(nats_url, "bench-evaluation-rebuild")
    try:
        report = await rebuild(dsn, nc.jetstream(), target=target, batch=1000)
    finally:
        await nc.close()
    return {
        "events": report.events,
        "seconds": round(report.seconds, 2),
        "events_per_s": round(report.events / report.seconds, 1) if report.seconds else None,
        "people": report.people,
        "phases": report.phases,
        "rebuilt_equals_incremental": report.equal,
    }


def history(units: int, people: int, items: int, seed: int) -> Events:
    tasks, alerts, _, _ = generated_history(seed, units=units, people=people, items=items)
    return tasks + alerts


async def ranking_pages(stack: Stack, settings: Settings) -> dict[str, Any]:
    """The same ranking pages through the gateway and directly from the subgraph."""
    token = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"])
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:
        r = await client.post(
            stack.gateway_url,
            json={
                "query": """mutation { periodCreate(input: {kind: YEAR, name: "2018年度",
                startsOn: "2018-01-01", endsOn: "2018-12-31"}) {
                ... on PeriodCreateSuccess { period { id } } } }"""
            },
        )
        pid = r.json()["data"]["periodCreate"]["period"]["id"]
        query = """query($p: ID!, $after: String) { cadreRankings(periodId: $p, first: 50, after: $after) {
          totalCount nodes { rank rankInGroup rankGroup score normalised personId } } }"""

        def cursor(i: int) -> str:
            return base64.b64encode(f"rank:{(i * 50) % 650}".encode()).decode()

        async def measure(url: str) -> dict[str, Any]:
            async def call(i: int) -> None:
                resp = await client.post(
                    url, json={"query": query, "variables": {"p": pid, "after": cursor(i)}}
                )
                body = resp.json()
                assert not body.get("errors"), body
                assert len(body["data"]["cadreRankings"]["nodes"]) == 50

            for i in range(10):
                await call(i)
            samples: list[float] = []
            queue: asyncio.Queue[int] = asyncio.Queue()
            for i in range(RANKING_REQUESTS):
                queue.put_nowait(i)

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    t0 = time.perf_counter()
                    await call(i)
                    samples.append((time.perf_counter() - t0) * 1000)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            return {
                "concurrency": CONCURRENCY,
                **latency_summary(samples, time.perf_counter() - started),
            }

        return {
            "via_gateway": await measure(stack.gateway_url),
            "direct_subgraph": await measure(stack.service_url("evaluation")),
        }


def main(results: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        t0 = time.perf_counter()
        demo = history(DEMO["units"], DEMO["people"], DEMO["items"], seed=2018)
        out["demo_events"] = len(demo)
        out["demo_generate_s"] = round(time.perf_counter() - t0, 2)
        out["incremental_per_event"] = asyncio.run(incremental(dsn, demo))
        print(f"incremental: {out['incremental_per_event']}", flush=True)
        out["demo_publish_s"] = round(asyncio.run(publish(nats_url, demo)), 2)
        out["demo_rebuild"] = asyncio.run(timed_rebuild(dsn, nats_url, "evaluation_rebuild"))
        print(f"demo rebuild: {out['demo_rebuild']}", flush=True)

        asyncio.run(purge_streams(nats_url))  # the stack's consumers start idle
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
            out["ranking_page_50"] = asyncio.run(ranking_pages(stack, settings))
            print(f"ranking pages: {out['ranking_page_50']}", flush=True)
        finally:
            stack.stop()

    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        per_item = out["demo_events"] / DEMO["items"]
        events_target = int(PROVINCE["events"] * FRACTION)
        units = max(int(PROVINCE["units"] * FRACTION), 1)
        people = max(int(PROVINCE["people"] * FRACTION), 1)
        t0 = time.perf_counter()
        big = history(units, people, int(events_target / per_item), seed=7)
        gen_s = time.perf_counter() - t0

        pub_s = asyncio.run(publish(nats_url, big))
        rb = asyncio.run(timed_rebuild(dsn, nats_url, "evaluation_rebuild"))
        rb.pop("rebuilt_equals_incremental")  # no live ledger here: only the replay is timed
        scale = PROVINCE["events"] / rb["events"]
        out["province_fraction"] = {
            "fraction": FRACTION,
            "units": units,
            "cadres": people,
            "events": len(big),
            "generate_s": round(gen_s, 2),
            "publish_s": round(pub_s, 2),
            "rebuild": rb,
            "extrapolated_full_rebuild_s": round(rb["seconds"] * scale, 0),
            "extrapolated_full_rebuild_min": round(rb["seconds"] * scale / 60, 1),
            "note": "linear extrapolation from the fraction; single replayer, 2-core machine",
        }
        print(f"province fraction: {out['province_fraction']}", flush=True)
    results["evaluation"] = out
