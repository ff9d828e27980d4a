"""Interleaved before/after of event → colour (not part of ``make bench``, ADR 0020).

Two stacks run side by side, each on its own PostgreSQL and NATS, each service as an API
and a worker process (as ``make bench`` runs them): this tree's, and an older tree's
(``AB_BASE_SRC``: a checkout that already has the event path timing, e.g. ``git worktree
add --detach /tmp/base <commit>``). Task events go to the two stacks in turn, one at a
time, each waiting for its ``alerts.level.changed``, so both sides see the same moment of a
shared machine's load. Prints event → colour and the segment table of each side.

    AB_BASE_SRC=/tmp/base AB_SAMPLES=400 PYTHONPATH=$PWD .venv/bin/python -m bench.ab_event_path
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats

import services.stack as stack_module
from bench.bench_alerts import progress_event
from bench.event_path import breakdown, print_breakdown, wait_for_stamps
from bench.support import embedded_servers, latency_summary
from services.contracts import tasks as t
from services.contracts.alerts import LevelChanged
from services.core.events import Envelope
from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack, migrate_all

SAMPLES = int(os.environ.get("AB_SAMPLES", "400"))


def start_stack(dsn: str, nats_url: str, root: Path, src: Path | None) -> Stack:
    """Every service of the tree at ``src`` (this tree when None), API and worker each."""
    extra = {"LOG_LEVEL": "WARNING", "DEV_MODE": "0", "EVENT_PATH_TIMING": "1"}
    if src is not None:
        extra["PYTHONPATH"] = str(src)
    settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
    stack = Stack(root, dsn, nats_url, settings.signing_secret(), extra_env=extra, split_roles=True)
    here = stack_module.ROOT
    stack_module.ROOT = src or here  # the processes run from (and import) that tree
    try:
        for name in SERVICE_NAMES:
            stack.start_service(name)
    finally:
        stack_module.ROOT = here
    return stack


class Side:
    def __init__(self, name: str, nats_url: str, root: Path) -> None:
        self.name, self.nats_url, self.root = name, nats_url, root
        self.samples: list[float] = []
        self.acks: list[float] = []
        self.trace: list[dict[str, Any]] = []
        self.arrived: dict[str, asyncio.Future[float]] = {}
        self.received_at: dict[str, float] = {}

    async def connect(self) -> None:
        self.nc = await nats.connect(self.nats_url)
        self.js = self.nc.jetstream()

        async def on_change(msg: Any) -> None:
            env = Envelope.from_json(msg.data)
            key = f"{env.aggregate_id}:{env.aggregate_version}"
            fut = self.arrived.get(key)
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())
                self.received_at[key] = time.time()

        await self.nc.subscribe(LevelChanged.type, cb=on_change)

    async def one(self, item: t.ItemSnapshot, version: int, keep: bool) -> None:
        env = progress_event(item, version, 10 if version % 2 else 90)
        key = f"{item.id}:{version}"
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.arrived[key] = fut
        published = time.time()
        began = time.perf_counter()
        await self.js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})
        acked = time.time()
        done_at = await asyncio.wait_for(fut, 30)
        if keep:
            self.samples.append((done_at - began) * 1000)
            self.trace.append(
                {
                    "key": key,
                    "published": published,
                    "publish_acked": acked,
                    "colour_received": self.received_at[key],
                }
            )

    async def raw_ack(self, i: int) -> None:
        began = time.perf_counter()
        await self.js.publish("benchraw.x", b"{}", headers={"Nats-Msg-Id": f"raw-{i}"})
        self.acks.append((time.perf_counter() - began) * 1000)


def items(n: int) -> list[t.ItemSnapshot]:
    today = datetime.now(UTC).date()
    unit = str(uuid.uuid4())
    return [
        t.ItemSnapshot(
            id=str(uuid.uuid4()),
            code=f"DB-AB-{i}",
            title="时延事项",
            source="KEY_WORK",
            start_date=today - timedelta(days=30),
            deadline=today + timedelta(days=30),
            original_deadline=today + timedelta(days=30),
            state="IN_PROGRESS",
            lead_unit_id=unit,
            assignments=[t.AssignmentSnapshot(unit_id=unit)],
        )
        for i in range(n)
    ]


async def measure(sides: list[Side]) -> None:
    for side in sides:
        await side.connect()
        await side.js.add_stream(name="BENCHRAW", subjects=["benchraw.>"])
    warm = 40
    for n, item in enumerate(items((SAMPLES + warm) // 4)):
        for version in range(1, 5):
            # alternate which side goes first, so neither always follows the other's tail
            order = sides if (n + version) % 2 else sides[::-1]
            for side in order:
                await side.one(item, version, keep=n * 4 >= warm)
    for i in range(SAMPLES):
        for side in sides:
            await side.raw_ack(i)
    for side in sides:
        await side.nc.drain()


def main() -> None:
    base = Path(os.environ["AB_BASE_SRC"]).resolve()
    with contextlib.ExitStack() as servers:
        new_dsn, new_nats, new_root = servers.enter_context(embedded_servers())
        base_dsn, base_nats, base_root = servers.enter_context(embedded_servers())
        migrate_all(new_dsn)
        migrate_all(base_dsn)
        stacks = [
            start_stack(base_dsn, base_nats, base_root, base),
            start_stack(new_dsn, new_nats, new_root, None),
        ]
        sides = [Side("before", base_nats, base_root), Side("after", new_nats, new_root)]
        try:
            for stack in stacks:
                stack.wait_ready(180)
            asyncio.run(measure(sides))

            async def stamps_of(side: Side) -> dict[str, Any]:
                found = await wait_for_stamps(side.root, [s["key"] for s in side.trace])
                return breakdown(side.trace, found)

            tables = [asyncio.run(stamps_of(side)) for side in sides]
        finally:
            for stack in stacks:
                stack.stop()
    for side, table in zip(sides, tables, strict=True):
        colour, ack = latency_summary(side.samples), latency_summary(side.acks)
        print(
            f"== {side.name}: event → colour p50 {colour['p50_ms']} ms, p99 {colour['p99_ms']} ms;"
            f" JetStream publish-ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms"
        )
        print_breakdown(table)


if __name__ == "__main__":
    main()
