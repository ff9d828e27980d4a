"""Sampling profiles of issue 15's request paths (not part of ``make bench``).

Starts the same seeded stack as bench_paths, then drives one case for PROFILE_SECONDS while
py-spy samples the tasks subgraph (``--native`` off, idle frames dropped) and the gateway
runs under ``node --cpu-prof``. Prints the top self-time frames and the share of a few
groups of frames (JWT, JSON, asyncpg, GraphQL execution, ASGI/HTTP, metrics) for each
profile, and leaves the raw files in PROFILE_DIR.

    PYTHONPATH=$PWD .venv/bin/python -m bench.profile_paths            # item, quiet
    PROFILE_CASE=unit_items PROFILE_BACKLOG=20000 ... -m bench.profile_paths
    PROFILE_CASE=event_colour ... -m bench.profile_paths

``event_colour`` runs each service as an API and a worker process (as ``make bench`` does)
and samples the alerts worker — its TASKS consumer and the outbox relay the consumer wakes —
while task events are published one at a time, each waiting for its colour change.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from bench.bench_alerts import event_latency
from bench.bench_paths import (
    ITEM_GATEWAY,
    UNIT_ALERTS,
    UNIT_GATEWAY,
    UNIT_TASKS,
    publish_backlog,
    seed,
)
from bench.lean_http import LeanClient
from bench.support import embedded_servers
from services.core.auth import mint_token
from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack, migrate_all

SECONDS = float(os.environ.get("PROFILE_SECONDS", "8"))
CASE = os.environ.get("PROFILE_CASE", "item")
BACKLOG = int(os.environ.get("PROFILE_BACKLOG", "0"))
OUT = Path(os.environ.get("PROFILE_DIR", "profiles"))

# substring of a frame (function and file) -> group
GROUPS = {
    "jwt": ("jwt/", "auth.py"),
    "json": ("json/", "orjson", "decode_json", "encode_json", "parse_json"),
    "asyncpg": ("asyncpg/",),
    "graphql execution": ("graphql/execution", "strawberry/schema/schema.py:execute"),
    "graphql parse/validate": ("graphql/language", "graphql/validation"),
    "strawberry extensions": ("strawberry/extensions",),
    "asgi/http": ("uvicorn/", "starlette/", "httptools"),
    "metrics": ("prometheus_client/",),
    "logging": ("logging/", "pythonjsonlogger"),
    "nats": ("nats/",),
    "pydantic (events)": ("pydantic/", "pydantic_core"),
    "colour rule": ("alerts/colour/domain.py",),
}


def collapsed_summary(path: Path, top: int = 15) -> dict[str, Any]:
    """Self time by frame and inclusive share by group from py-spy's collapsed output."""
    own: collections.Counter[str] = collections.Counter()
    groups: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        total += n
        own[frames[-1]] += n
        for group, needles in GROUPS.items():
            if any(any(s in f for s in needles) for f in frames):
                groups[group] += n
    return {
        "samples": total,
        "top_self": [(f, round(100 * n / total, 1)) for f, n in own.most_common(top)],
        "groups": {g: round(100 * groups[g] / total, 1) for g in GROUPS},
    }


def cpuprofile_summary(path: Path, top: int = 15, last_seconds: float = 0) -> dict[str, Any]:
    """Self time by function (and inclusive share of a few packages) from a .cpuprofile;
    with ``last_seconds``, only the samples of that window before the profile's end (the
    driven case, not start-up)."""
    prof = json.loads(path.read_text())
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
    at, stamps = prof["startTime"], []
    for delta in prof["timeDeltas"]:
        at += delta
        stamps.append(at)
    since = prof["endTime"] - last_seconds * 1e6 if last_seconds else float("-inf")
    hits: collections.Counter[int] = collections.Counter(
        s for s, t in zip(prof["samples"], stamps, strict=True) if t >= since
    )
    total = sum(hits.values())
    idle = sum(n for i, n in hits.items() if nodes[i]["callFrame"]["functionName"] == "(idle)")
    busy = total - idle

    def label(node: dict[str, Any]) -> str:
        cf = node["callFrame"]
        url = cf["url"].split("node_modules/")[-1]
        return f"{cf['functionName'] or '(anonymous)'} {url}:{cf['lineNumber']}"

    own: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    for i, n in hits.items():
        if nodes[i]["callFrame"]["functionName"] == "(idle)":
            continue
        own[label(nodes[i])] += n
        seen: set[str] = set()
        j: int | None = i
        while j is not None:
            url = nodes[j]["callFrame"]["url"]
            if "node_modules/" in url:
                rest = url.split("node_modules/")[-1].split("/")
                pkg = "/".join(rest[:2]) if rest[0].startswith("@") else rest[0]
                seen.add(pkg)
            elif url.startswith("node:"):
                seen.add(url)
            j = parent.get(j)
        for pkg in seen:
            packages[pkg] += n
    return {
        "busy_share": round(100 * busy / total, 1) if total else 0,
        "top_self": [(f, round(100 * n / busy, 1)) for f, n in own.most_common(top)],
        "packages": [(p, round(100 * n / busy, 1)) for p, n in packages.most_common(top)],
    }


async def drive(
    settings: Settings, stack: Stack, items: list[uuid.UUID], units: list[uuid.UUID], way: str
) -> int:
    token = mint_token(settings, str(uuid.uuid4()), ["SUPERVISION_OFFICE"])
    rng = random.Random(way)
    done = 0
    headers = {"authorization": f"Bearer {token}"}
    urls = (stack.gateway_url, stack.service_url("tasks"), stack.service_url("alerts"))
    http = {url: LeanClient(url, headers) for url in urls}
    try:

        async def gql(url: str, query: str, variables: dict[str, Any]) -> Any:
            status, raw = await http[url].post(
                orjson.dumps({"query": query, "variables": variables})
            )
            body = orjson.loads(raw)
            assert status == 200 and not body.get("errors"), body
            return body["data"]

        deadline = time.perf_counter() + SECONDS
        while time.perf_counter() < deadline:
            if CASE == "item":
                url = stack.gateway_url if way == "gateway" else stack.service_url("tasks")
                await gql(url, ITEM_GATEWAY, {"id": str(rng.choice(items))})
            elif way == "gateway":
                await gql(stack.gateway_url, UNIT_GATEWAY, {"u": str(rng.choice(units))})
            else:
                data = await gql(
                    stack.service_url("tasks"), UNIT_TASKS, {"u": str(rng.choice(units))}
                )
                reps = [
                    {"__typename": "SupervisionItem", "id": n["id"]} for n in data["items"]["nodes"]
                ]
                await gql(stack.service_url("alerts"), UNIT_ALERTS, {"r": reps})
            done += 1
    finally:
        for c in http.values():
            await c.aclose()
    return done


def pyspy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen(
        [
            exe,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(SECONDS)),
            "-r",
            "400",
            "-f",
            "raw",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_event_colour(report: dict[str, Any]) -> None:
    """py-spy on the alerts worker while task events go one at a time to their colour."""
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
        stack = Stack(
            root,
            dsn,
            nats_url,
            settings.signing_secret(),
            extra_env={"LOG_LEVEL": "WARNING", "DEV_MODE": "0"},
            split_roles=True,
        )
        try:
            worker = 0
            for name in SERVICE_NAMES:
                stack.start_service(name)
                if name == "alerts":
                    worker = stack.procs[-1].pid  # the worker is spawned after the API
            stack.wait_ready(120)
            asyncio.run(event_latency(nats_url, samples_wanted=40))  # warm-up
            out = OUT / "pyspy-event_colour-alerts-worker.txt"
            spy = pyspy(worker, out)
            time.sleep(0.5)

            async def until_done() -> list[dict[str, Any]]:
                runs = []
                deadline = time.perf_counter() + SECONDS - 1
                while time.perf_counter() < deadline:
                    runs.append(await event_latency(nats_url, samples_wanted=100))
                return runs

            runs = asyncio.run(until_done())
            spy.wait(SECONDS + 30)
            report["event latency runs"] = [r["event_to_colour"] for r in runs]
            report["alerts worker"] = collapsed_summary(out, top=25)
        finally:
            stack.stop()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if CASE == "event_colour":
        report: dict[str, Any] = {"case": CASE, "seconds": SECONDS}
        profile_event_colour(report)
        (OUT / "summary-event_colour.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2)
        )
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    report = {"case": CASE, "backlog": BACKLOG, "seconds": SECONDS}
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        items, units = asyncio.run(seed(dsn))
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
        prof_dir = (OUT / f"node-{CASE}").resolve()
        shutil.rmtree(prof_dir, ignore_errors=True)
        stack = Stack(
            root,
            dsn,
            nats_url,
            settings.signing_secret(),
            extra_env={"LOG_LEVEL": "WARNING", "DEV_MODE": "0"},
        )
        procs: dict[str, int] = {}
        try:
            for name in SERVICE_NAMES:
                procs[name] = stack.start_service(name).pid
            stack.node_flags = ["--cpu-prof", f"--cpu-prof-dir={prof_dir}"]
            stack.start_gateway()
            stack.wait_ready(120)
            if BACKLOG:
                asyncio.run(publish_backlog(nats_url, units, BACKLOG))
            for way in ("direct", "gateway"):
                target = procs["tasks"]
                out = OUT / f"pyspy-{CASE}-{way}{'-backlog' if BACKLOG else ''}.txt"
                spy = pyspy(target, out)
                time.sleep(0.5)
                n = asyncio.run(drive(settings, stack, items, units, way))
                spy.wait(SECONDS + 30)
                report[f"tasks {way}"] = {"requests": n, **collapsed_summary(out)}
        finally:
            stack.stop()
    profiles = sorted(prof_dir.glob("*.cpuprofile"))
    if profiles:
        biggest = max(profiles, key=lambda p: p.stat().st_size)  # not the loader thread's
        report["gateway"] = cpuprofile_summary(biggest, last_seconds=SECONDS + 2)
    (OUT / f"summary-{CASE}{'-backlog' if BACKLOG else ''}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2)
    )
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
