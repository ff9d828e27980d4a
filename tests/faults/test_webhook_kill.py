"""The webhook dispatcher killed mid-delivery loses nothing.

The alerts service runs as its own process (``ducha serve alerts``) on this module's
PostgreSQL and NATS. A department's system is registered and subscribed by GraphQL; a
burst of items is published; while requests are in flight at the receiver (it holds
each for a moment) the process is killed with SIGKILL, then started again. Every
colour change must reach the receiver at least once, each request verified with the
reference ``standardwebhooks`` library, and nothing may be left pending or DEAD.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.contracts import tasks as t
from services.core.bus import connect_nats
from services.core.settings import Settings
from services.stack import Stack
from tests.alerts.builders import make_snapshot, publish
from tests.alerts.integrations.receiver import Receiver
from tests.conftest import TEST_SECRET
from tests.faults.conftest import FreezableNats, StoppablePostgres
from tests.support.servers import GraphQLClient, create_database, token, wait_for

COLOUR = "cn.gov.ducha.item.colour_changed"
BURST = 200
UNIT = str(uuid.uuid4())
OTHER = str(uuid.uuid4())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(delay=0.3).start()  # slow answers: a kill finds requests in flight
    try:
        yield r
    finally:
        r.stop()


async def _register(office: GraphQLClient, receiver: Receiver) -> str:
    created = await office(
        "mutation($i: IntegrationClientCreateInput!) { integrationClientCreate(input: $i) {"
        " ... on IntegrationClientCreateSuccess { token } ... on UserError { message } } }",
        {"i": {"name": "区住建局系统", "unitIds": [UNIT], "eventTypes": [COLOUR]}},
    )
    dept = office.as_(created["integrationClientCreate"]["token"])
    sub = await dept(
        "mutation($i: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $i) {"
        " ... on WebhookSubscriptionSecret { subscription { id } secret }"
        " ... on UserError { message } } }",
        {"i": {"url": receiver.url, "eventTypes": [COLOUR]}},
    )
    receiver.secrets.append(sub["webhookSubscriptionCreate"]["secret"])
    return str(sub["webhookSubscriptionCreate"]["subscription"]["id"])


async def _states(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT state, count(*) AS n FROM alerts.webhook_deliveries GROUP BY state"
        )
    finally:
        await conn.close()
    return {r["state"]: int(r["n"]) for r in rows}


async def test_dispatcher_killed_mid_delivery_loses_no_event(
    fault_pg: StoppablePostgres, fault_nats: FreezableNats, receiver: Receiver, tmp_path: Path
) -> None:
    dsn = await create_database(fault_pg.dsn)
    settings = Settings(
        database_url=dsn, nats_url=fault_nats.url, jwt_secret=TEST_SECRET, data_dir=tmp_path
    )
    stack = Stack(
        data_dir=tmp_path,
        database_url=dsn,
        nats_url=fault_nats.url,
        jwt_secret=TEST_SECRET,
        extra_env={
            "LOG_JSON": "false",
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "WEBHOOK_REQUIRE_HTTPS": "false",
            "WEBHOOK_DISPATCH_INTERVAL_SECONDS": "0.1",
            "WEBHOOK_BACKOFF_SCALE": "0.01",
            "SWEEP_INTERVAL_SECONDS": "3600",
            "REMINDER_SCAN_SECONDS": "3600",
        },
    )
    try:
        proc = stack.start_service("alerts")
        await asyncio.to_thread(stack.wait_ready, 120)
        async with httpx.AsyncClient(timeout=30) as http:
            office = GraphQLClient(http, stack.service_url("alerts"), token(settings))
            await _register(office, receiver)

            ours = [make_snapshot(lead_unit_id=UNIT) for _ in range(BURST)]
            theirs = [make_snapshot(lead_unit_id=OTHER) for _ in range(BURST // 10)]
            nc = await connect_nats(fault_nats.url, "test-publisher")
            try:
                js = nc.jetstream()
                for item in [*ours, *theirs]:
                    await publish(js, t.ItemCreated, item, 1)
            finally:
                await nc.close()
            ids = {i.id for i in ours}

            def arrived() -> set[str]:
                return {e["subject"] for e in receiver.events(COLOUR)}

            async def mid_delivery() -> bool:
                return len(arrived()) >= BURST // 5 and receiver.in_flight > 0

            await wait_for(mid_delivery, timeout=120, interval=0.01)
            proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(proc.wait)
            stack.procs.remove(proc)
            got_before_kill = len(arrived() & ids)
            unfinished = await _states(dsn)
            # the kill came mid-way: events were still to deliver (queued or not yet fanned out)
            assert got_before_kill < BURST, "the burst was over before the kill"
            print(
                f"\nkilled with {got_before_kill}/{BURST} received, "
                f"{receiver.in_flight} requests in flight, deliveries {unfinished}"
            )

            stack.start_service("alerts")  # same port, same database
            await asyncio.to_thread(stack.wait_ready, 120)

            async def all_arrived() -> bool:
                return arrived() >= ids

            await wait_for(all_arrived, timeout=180)

            async def settled() -> dict[str, int] | None:
                states = await _states(dsn)
                return states if states.get("PENDING", 0) == 0 else None

            states = await wait_for(settled, timeout=60)

        webhook_ids = [r.webhook_id for r in receiver.received]
        print(
            f"after restart: {len(arrived() & ids)}/{BURST} received, "
            f"{len(webhook_ids) - len(set(webhook_ids))} duplicates (at least once), "
            f"deliveries {states}"
        )
        assert not receiver.rejected  # every request verified by the reference library
        assert all(r.verified_by == [0] for r in receiver.received)
        assert states.get("DEAD", 0) == 0
        assert states.get("DELIVERED", 0) == BURST  # one delivery row per event, none lost
        assert not arrived() & {i.id for i in theirs}  # and the scope held through it
    finally:
        await asyncio.to_thread(stack.stop)
