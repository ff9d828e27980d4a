"""A department's receiver through a real outage (opt-in: ``BENCH_ONLY=webhook_outage make bench``).

The platform runs as processes (three services and the gateway, production retry
schedule). Through the gateway the office registers a department's system scoped to
one unit; the department subscribes its loopback receiver (signatures verified with
the reference ``standardwebhooks`` library). Items are created for that unit and for
another one (each creation is a colour change, None -> GREEN), in three phases:

1. normal operation: latency from the colour change (the CloudEvent's ``time``) to the
   receiver accepting the signed request, p50/p99;
2. the receiver is down for ``WEBHOOK_OUTAGE_SECONDS`` (600) while items keep coming;
3. it comes back: how many of the events produced during the outage arrive, and how
   long after its return the last one does (time to drain).

Nothing of the other unit may arrive, and nothing may be lost or go DEAD.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.support import embedded_servers, latency_summary
from services.core.settings import Settings
from services.stack import Stack
from tests.alerts.integrations.receiver import Receiver
from tests.support.servers import GraphQLClient, token
from tests.tasks.support import make_item, make_unit

OPT_IN = True  # ten minutes: run only when BENCH_ONLY names it
COLOUR = "cn.gov.ducha.item.colour_changed"
SECRET = "bench-secret-0123456789-0123456789-0123456789"
NORMAL_EVENTS = 60
NORMAL_GAP_S = 0.5
OUTAGE_GAP_S = 4.0  # one colour change of our unit every 4 s while the receiver is down
OTHERS_EVERY = 5  # and one of the other unit's every fifth step


def _changed_at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).timestamp()


async def _until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def run(stack: Stack, settings: Settings, outage_s: float) -> dict[str, Any]:
    receiver = Receiver().start()
    async with httpx.AsyncClient(timeout=60) as http:
        office = GraphQLClient(http, stack.gateway_url, token(settings))
        ours = await make_unit(office, f"东城街道{uuid.uuid4().hex[:4]}")
        theirs = await make_unit(office, f"西城街道{uuid.uuid4().hex[:4]}")
        created = await office(
            "mutation($i: IntegrationClientCreateInput!) { integrationClientCreate(input: $i) {"
            " ... on IntegrationClientCreateSuccess { token } ... on UserError { message } } }",
            {"i": {"name": "区住建局系统", "unitIds": [ours], "eventTypes": [COLOUR]}},
        )
        dept = office.as_(created["integrationClientCreate"]["token"])
        sub = await dept(
            "mutation($i: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $i)"
            " { ... on WebhookSubscriptionSecret { subscription { id } secret }"
            " ... on UserError { message } } }",
            {"i": {"url": receiver.url, "eventTypes": [COLOUR]}},
        )
        receiver.secrets.append(sub["webhookSubscriptionCreate"]["secret"])
        sub_id = sub["webhookSubscriptionCreate"]["subscription"]["id"]

        def arrived(ids: set[str]) -> set[str]:
            return {e["subject"] for e in receiver.events(COLOUR)} & ids

        # 1. normal operation
        normal: set[str] = set()
        others: set[str] = set()
        for n in range(NORMAL_EVENTS):
            normal.add(await make_item(office, ours, title=f"背街小巷环境整治{n}"))
            if n % OTHERS_EVERY == 0:
                others.add(await make_item(office, theirs, title=f"农村人居环境整治{n}"))
            await asyncio.sleep(NORMAL_GAP_S)

        async def all_normal() -> bool:
            return arrived(normal) == normal

        await _until(all_normal, 60, "the normal phase's events")
        latencies = [
            (r.at - _changed_at(r.event)) * 1000
            for r in list(receiver.received)
            if r.event["subject"] in normal
        ]

        # 2. the receiver is down; colour changes keep happening
        receiver.stop()
        down_at = time.monotonic()
        during: set[str] = set()
        n = 0
        while (left := outage_s - (time.monotonic() - down_at)) > 0:
            if left > OUTAGE_GAP_S / 2:
                during.add(await make_item(office, ours, title=f"老旧小区改造{n}"))
                if n % OTHERS_EVERY == 0:
                    others.add(await make_item(office, theirs, title=f"河道整治{n}"))
                n += 1
            await asyncio.sleep(min(OUTAGE_GAP_S, max(left, 0.0)))
        outage_wall = time.monotonic() - down_at
        failed_attempts = await _failed_attempts(stack.database_url, sub_id)

        # 3. back: everything produced during the outage arrives
        before = len(receiver.received)
        receiver.start()
        back_at = time.time()

        async def all_during() -> bool:
            return arrived(during) == during

        await _until(all_during, 900, "the outage's events after the receiver returned")
        after = list(receiver.received)[before:]
        firsts: dict[str, float] = {}
        for r in after:
            if r.event["subject"] in during:
                firsts.setdefault(r.event["subject"], r.at)
        stats = await dept(
            "query($id: ID!) { webhookStats(id: $id) { delivered pending dead } }",
            {"id": sub_id},
        )
        receiver.stop()

    ids = [r.webhook_id for r in receiver.received]
    return {
        "latency_normal": latency_summary(latencies),
        "outage_seconds": round(outage_wall, 1),
        "events_during_outage": len(during),
        "delivered_after_return": len(arrived(during)),
        "failed_attempts_during_outage": failed_attempts,
        "drain_seconds": round(max(firsts.values()) - back_at, 1),
        "median_wait_after_return_s": round(sorted(firsts.values())[len(firsts) // 2] - back_at, 1),
        "other_unit_events_produced": len(others),
        "other_unit_events_received": len({e["subject"] for e in receiver.events()} & others),
        "duplicates_received": len(ids) - len(set(ids)),
        "rejected_signatures": len(receiver.rejected),
        "stats": stats["webhookStats"],
    }


async def _failed_attempts(dsn: str, sub_id: str) -> int:
    """Failed attempts the delivery log holds for the subscription."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM alerts.webhook_attempts"
                " WHERE subscription_id = $1 AND status IS NULL",
                uuid.UUID(sub_id),
            )
        )
    finally:
        await conn.close()


def main(results: dict[str, Any]) -> None:
    outage_s = float(os.environ.get("WEBHOOK_OUTAGE_SECONDS", "600"))
    with embedded_servers() as (dsn, nats_url, data_dir):
        settings = Settings(
            database_url=dsn, nats_url=nats_url, jwt_secret=SECRET, data_dir=Path(data_dir)
        )
        stack = Stack(
            data_dir=Path(data_dir),
            database_url=dsn,
            nats_url=nats_url,
            jwt_secret=SECRET,
            extra_env={
                "LOG_JSON": "false",
                "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                "WEBHOOK_REQUIRE_HTTPS": "false",
            },
        )
        try:
            for name in ("tasks", "alerts", "evaluation"):
                stack.start_service(name)
            stack.start_gateway()
            stack.wait_ready(180)
            results["webhook_outage"] = asyncio.run(run(stack, settings, outage_s))
        except Exception:
            kept = Path(tempfile.gettempdir()) / f"ducha-bench-webhook-outage-{os.getpid()}"
            kept.mkdir(exist_ok=True)
            for log in Path(data_dir).glob("*.log"):
                shutil.copy(log, kept / log.name)
            print(f"service logs kept in {kept}", flush=True)
            raise
        finally:
            stack.stop()


if __name__ == "__main__":
    import json

    out: dict[str, Any] = {}
    main(out)
    print(json.dumps(out, ensure_ascii=False, indent=2))
