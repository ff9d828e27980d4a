"""Interleaved before/after of the request paths on one stack (not part of ``make bench``).

On a shared machine, latency from two separate runs cannot be compared; this runs both
sides at the same moment, alternating every few seconds, and reports each server
process's CPU milliseconds per request (``/proc`` utime + stime of the process and its
children), which contention does not inflate the way it inflates wall time (ADR 0020).

- ``AB_BASE_SRC``: a directory holding an older ``services/`` tree (``git archive <commit>
  services | tar -x -C DIR``); its tasks service runs beside this tree's on the same
  database and both are driven with the one-item query.
- ``AB_GATEWAYS``: ``name=dir[+ENV=VALUE]`` separated by commas; each dir holds a gateway
  (its gateway.config.ts, edges.ts, web.ts, supergraph.graphql and node_modules). All
  gateways call this tree's subgraphs.

    AB_BASE_SRC=/tmp/base AB_GATEWAYS=base=/tmp/gw-old,new=gateway \\
      PYTHONPATH=$PWD .venv/bin/python -m bench.ab_paths
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.bench_paths import ITEM_GATEWAY, ITEM_SQL, UNIT_GATEWAY, seed
from bench.lean_http import LeanClient
from bench.support import embedded_servers, latency_summary, wait_http_ok
from services.core.auth import mint_token
from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack, free_port, migrate_all

SECONDS = float(os.environ.get("AB_SECONDS", "3"))
ROUNDS = int(os.environ.get("AB_ROUNDS", "3"))
TICK = os.sysconf("SC_CLK_TCK")

Call = Callable[[random.Random], Awaitable[None]]


def gateways() -> list[tuple[str, Path, dict[str, str]]]:
    out = []
    for entry in filter(None, os.environ.get("AB_GATEWAYS", "").split(",")):
        name, _, rest = entry.partition("=")
        directory, *envs = rest.split("+")
        out.append((name, Path(directory), dict(e.split("=", 1) for e in envs)))
    return out


def cpu_ms(pid: int) -> float:
    """CPU time of ``pid`` and its direct children so far."""
    total = 0
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        kids = []
    for p in (pid, *kids):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total * 1000 / TICK


async def drive(
    cases: list[tuple[str, Call, int | None]],
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for r in range(ROUNDS):
        for clients in (1, 16):
            for key, call, pid in cases:
                for _ in range(5):
                    await call(random.Random(r))
                samples: list[float] = []
                deadline = time.perf_counter() + SECONDS

                async def worker(
                    seed: int,
                    call: Call = call,
                    samples: list[float] = samples,
                    deadline: float = deadline,
                ) -> None:
                    rng = random.Random(seed)
                    while time.perf_counter() < deadline:
                        t0 = time.perf_counter()
                        await call(rng)
                        samples.append((time.perf_counter() - t0) * 1000)

                before = cpu_ms(pid) if pid else 0.0
                started = time.perf_counter()
                await asyncio.gather(*(worker(r * 100 + s) for s in range(clients)))
                cell = results.setdefault(
                    f"{key} {clients}c", {"samples": [], "wall": 0.0, "cpu": 0.0, "pid": pid}
                )
                cell["samples"] += samples
                cell["wall"] += time.perf_counter() - started
                if pid:
                    cell["cpu"] += cpu_ms(pid) - before
    return results


def main() -> None:
    base_src = os.environ.get("AB_BASE_SRC")
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        items, units = asyncio.run(seed(dsn))
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
        stack = Stack(
            root,
            dsn,
            nats_url,
            settings.signing_secret(),
            extra_env={"LOG_LEVEL": "WARNING", "DEV_MODE": "0"},
        )
        pids: dict[str, int] = {}
        urls: dict[str, str] = {}
        try:
            for name in SERVICE_NAMES:
                proc = stack.start_service(name)
                if name == "tasks":
                    pids["tasks"], urls["tasks"] = proc.pid, stack.service_url("tasks")
            if base_src:
                port = free_port()
                env = {**stack.env(), "PYTHONPATH": base_src}
                args = ["serve", "tasks", "--port", str(port), "--instance-id", "base"]
                old = subprocess.Popen(
                    [sys.executable, "-m", "services.cli", *args],
                    env=env,
                    cwd=base_src,
                    stdout=(root / "tasks-base.log").open("ab"),
                    stderr=subprocess.STDOUT,
                )
                stack.procs.append(old)
                pids["tasks-base"], urls["tasks-base"] = old.pid, f"http://127.0.0.1:{port}/graphql"
            for name, directory, env_extra in gateways():
                stack.extra_env.update(env_extra)
                port = free_port()
                proc = stack.spawn_gateway(port, directory.resolve(), f"gateway-{name}.log")
                for key in env_extra:
                    stack.extra_env.pop(key)
                pids[f"gateway {name}"] = proc.pid
                urls[f"gateway {name}"] = f"http://127.0.0.1:{port}/graphql"
                wait_http_ok(f"http://127.0.0.1:{port}/readiness", 120)
            stack.wait_ready(120)
            if base_src:
                wait_http_ok(urls["tasks-base"].replace("/graphql", "/readyz"))
            results = asyncio.run(run(settings, dsn, items, units, urls, pids))
        finally:
            stack.stop()
    print(f"{'cell':<32} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'cpu ms/req':>10}")
    for key, cell in results.items():
        s = latency_summary(cell["samples"], cell["wall"])
        cpu = f"{cell['cpu'] / s['n']:.3f}" if cell["pid"] else "-"
        print(f"{key:<32} {s['p50_ms']:>8} {s['p99_ms']:>8} {s['throughput_per_s']:>7} {cpu:>10}")


async def run(
    settings: Settings,
    dsn: str,
    items: list[uuid.UUID],
    units: list[uuid.UUID],
    urls: dict[str, str],
    pids: dict[str, int],
) -> dict[str, dict[str, Any]]:
    token = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"])
    headers = {"authorization": f"Bearer {token}"}
    http = {url: LeanClient(url, headers) for url in urls.values()}
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=16)
    assert pool is not None

    def query(url: str, text: str, pick: list[uuid.UUID], var: str) -> Call:
        async def call(rng: random.Random) -> None:
            body = {"query": text, "variables": {var: str(rng.choice(pick))}}
            status, raw_body = await http[url].post(orjson.dumps(body))
            assert status == 200 and not orjson.loads(raw_body).get("errors"), raw_body

        return call

    async def raw(rng: random.Random) -> None:
        async with pool.acquire() as conn:
            await conn.fetchrow(ITEM_SQL, rng.choice(items))

    async def floor(rng: random.Random) -> None:
        assert (await http[urls["tasks"]].get("/healthz"))[0] == 200

    cases: list[tuple[str, Call, int | None]] = [
        ("item raw SQL", raw, None),
        ("HTTP floor (/healthz)", floor, None),
    ]
    for name, url in urls.items():
        cases.append((f"item {name}", query(url, ITEM_GATEWAY, items, "id"), pids[name]))
    for name, url in urls.items():
        if name.startswith("gateway"):
            cases.append((f"unit_items {name}", query(url, UNIT_GATEWAY, units, "u"), pids[name]))
    try:
        return await drive(cases)
    finally:
        for c in http.values():
            await c.aclose()
        await pool.close()


if __name__ == "__main__":
    main()
