"""The event bus against real PostgreSQL and NATS: outbox relay, consumers, faults."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest_asyncio

from services.core.bus import connect_nats, ensure_streams
from services.core.consumer import Consumer, Subscription, is_newer
from services.core.db import CORE_MIGRATIONS, _read_dir, apply_migrations, create_pool
from services.core.embedded import EmbeddedNats, EmbeddedPostgres
from services.core.events import Envelope, EventContract, registry
from services.core.outbox import OutboxRelay, record_event
from tests.support.servers import create_database, wait_for

SCHEMA = "bustest"


class Happened(EventContract):
    type: ClassVar[str] = "tasks.test.happened"
    n: int


CONTRACTS = registry(Happened)


@pytest_asyncio.fixture
async def bus(pg_server: EmbeddedPostgres, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """A fresh database with the bus tables, its own NATS server, a relay and a pool."""
    dsn = await create_database(pg_server.dsn)
    await apply_migrations(dsn, SCHEMA, _read_dir(CORE_MIGRATIONS, "core/"))
    pool = await create_pool(dsn, SCHEMA)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE effects (id bigserial PRIMARY KEY, event_id uuid, n int)")
    nats = EmbeddedNats(tmp_path / "js")
    nats.start()
    nc = await connect_nats(nats.url, "bus-test")
    js = nc.jetstream()
    await ensure_streams(js)
    tasks: list[asyncio.Task[Any]] = []
    ctx = {"dsn": dsn, "pool": pool, "nats": nats, "nc": nc, "js": js, "tasks": tasks}
    try:
        yield ctx
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await nc.close()
        nats.stop()
        await pool.close()


def start(ctx: dict[str, Any], coro: Any) -> None:
    ctx["tasks"].append(asyncio.create_task(coro))


async def produce(pool: asyncpg.Pool, n: int, aggregate: str = "agg") -> Envelope:
    env = Happened(n=n).envelope(aggregate, n)
    async with pool.acquire() as conn, conn.transaction():
        await record_event(conn, env)
    return env


async def effects(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT event_id, n FROM effects ORDER BY n")


async def record_effect(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, Happened)
    await conn.execute("INSERT INTO effects (event_id, n) VALUES ($1, $2)", env.id, event.n)


def consumer(ctx: dict[str, Any], handler: Any = record_effect, max_deliver: int = 5) -> Consumer:
    sub = Subscription(stream="TASKS", handlers={Happened.type: handler}, contracts=CONTRACTS)
    return Consumer("bustest", sub, ctx["pool"], ctx["js"], max_deliver=max_deliver, ack_wait=2)


async def test_outbox_row_is_published_once_and_marked_after_ack(bus: dict[str, Any]) -> None:
    relays = [OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2) for _ in range(2)]
    for relay in relays:  # two replicas race for the same rows
        start(bus, relay.run())
    sent = [await produce(bus["pool"], i) for i in range(50)]

    async def all_published() -> bool:
        async with bus["pool"].acquire() as conn:
            return (
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            )

    await wait_for(all_published)
    info = await bus["js"].stream_info("TASKS")
    assert info.state.messages == len(sent)
    msg = await bus["js"].get_msg("TASKS", 1)
    assert msg.headers and msg.headers["Nats-Msg-Id"] == str(sent[0].id)


async def test_rolled_back_change_emits_nothing(bus: dict[str, Any]) -> None:
    start(bus, OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2).run())
    with contextlib.suppress(RuntimeError):
        async with bus["pool"].acquire() as conn, conn.transaction():
            await record_event(conn, Happened(n=1).envelope("x", 1))
            raise RuntimeError("the change failed")
    await produce(bus["pool"], 2)

    async def published() -> int:
        return (await bus["js"].stream_info("TASKS")).state.messages

    assert await wait_for(published) == 1


async def test_every_effect_lands_exactly_once_across_a_nats_restart(bus: dict[str, Any]) -> None:
    start(bus, OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2).run())
    start(bus, consumer(bus).run())
    total = 120
    for i in range(total // 2):
        await produce(bus["pool"], i)
    await wait_for(lambda: _count_at_least(bus["pool"], 10))
    nats: EmbeddedNats = bus["nats"]
    nats.stop()  # in the middle of the stream
    for i in range(total // 2, total):
        await produce(bus["pool"], i)  # written while the bus is down
    nats.start()  # same port and store dir: streams and consumers survive

    rows = await wait_for(lambda: _count_at_least(bus["pool"], total), timeout=60)
    assert sorted(r["n"] for r in rows) == list(range(total))
    assert len({r["event_id"] for r in rows}) == total


async def _count_at_least(pool: asyncpg.Pool, n: int) -> list[asyncpg.Record] | None:
    rows = await effects(pool)
    return rows if len(rows) >= n else None


async def test_handler_crashing_half_way_is_redelivered_and_applied_once(
    bus: dict[str, Any],
) -> None:
    attempts: dict[int, int] = {}

    async def flaky(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        assert isinstance(event, Happened)
        await record_effect(conn, env, event)  # half of the work is done…
        attempts[event.n] = attempts.get(event.n, 0) + 1
        if attempts[event.n] < 3:
            raise RuntimeError("crash after a partial write")

    start(bus, OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2).run())
    start(bus, consumer(bus, flaky).run())
    await produce(bus["pool"], 7)
    rows = await wait_for(lambda: _count_at_least(bus["pool"], 1))
    assert attempts[7] == 3
    assert [r["n"] for r in rows] == [7]
    async with bus["pool"].acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM processed_events") == 1


async def test_duplicate_delivery_is_applied_once(bus: dict[str, Any]) -> None:
    env = Happened(n=5).envelope("dup", 5)
    start(bus, consumer(bus).run())
    # The same event published twice outside the dedupe window's reach (different msg ids).
    await bus["js"].publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": "a"})
    await bus["js"].publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": "b"})
    await produce(bus["pool"], 6)
    start(bus, OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2).run())
    rows = await wait_for(lambda: _count_at_least(bus["pool"], 2))
    assert [r["n"] for r in rows] == [5, 6]


async def test_malformed_and_poison_messages_are_dead_lettered_and_the_consumer_goes_on(
    bus: dict[str, Any],
) -> None:
    async def poison_on_13(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        assert isinstance(event, Happened)
        if event.n == 13:
            raise ValueError("cannot apply 13")
        await record_effect(conn, env, event)

    start(bus, consumer(bus, poison_on_13, max_deliver=3).run())
    await bus["js"].publish(Happened.type, b"{not json", headers={"Nats-Msg-Id": "garbage"})
    for n in (12, 13, 14):
        env = Happened(n=n).envelope("p", n)
        await bus["js"].publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})

    rows = await wait_for(lambda: _count_at_least(bus["pool"], 2))
    assert [r["n"] for r in rows] == [12, 14]

    async def dead_letters() -> list[asyncpg.Record] | None:
        async with bus["pool"].acquire() as conn:
            found = await conn.fetch("SELECT * FROM dead_letters ORDER BY id")
        return found if len(found) == 2 else None

    dead = await wait_for(dead_letters)
    assert dead[0]["error"].startswith("unparseable")
    assert dead[1]["deliveries"] == 3 and "cannot apply 13" in dead[1]["error"]


async def test_stale_aggregate_versions_are_ignored(bus: dict[str, Any]) -> None:
    async with bus["pool"].acquire() as conn:
        newer = Happened(n=3).envelope("item-1", 3)
        older = Happened(n=2).envelope("item-1", 2)
        assert await is_newer(conn, newer)
        assert not await is_newer(conn, older)
        assert not await is_newer(conn, newer)  # same version again
        assert await is_newer(conn, Happened(n=4).envelope("item-1", 4))


async def test_an_outage_longer_than_max_deliver_never_dead_letters_a_good_event(
    bus: dict[str, Any],
) -> None:
    outage = {"left": 8}

    async def database_away(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        if outage["left"] > 0:
            outage["left"] -= 1
            raise ConnectionRefusedError(111, "Connect call failed")
        await record_effect(conn, env, event)

    c = consumer(bus, database_away, max_deliver=2)
    c.retry_max = 0.1
    start(bus, c.run())
    await produce(bus["pool"], 1)
    start(bus, OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2).run())
    rows = await wait_for(lambda: _count_at_least(bus["pool"], 1))
    assert [r["n"] for r in rows] == [1] and outage["left"] == 0
    async with bus["pool"].acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0
        assert await conn.fetchval("SELECT count(*) FROM event_failures") == 0


async def test_a_failing_dead_letter_write_does_not_end_the_consumer(
    bus: dict[str, Any], monkeypatch: Any
) -> None:
    async def always_bad(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        assert isinstance(event, Happened)
        if event.n == 1:
            raise ValueError("bad event")
        await record_effect(conn, env, event)

    c = consumer(bus, always_bad, max_deliver=1)
    real = c._dead_letter
    broken = {"left": 2}

    async def flaky_dead_letter(*args: Any) -> None:
        if broken["left"] > 0:
            broken["left"] -= 1
            raise OSError("database went away while dead-lettering")
        await real(*args)

    monkeypatch.setattr(c, "_dead_letter", flaky_dead_letter)
    monkeypatch.setattr(c, "retry_max", 0.1)
    task = asyncio.create_task(c.run())
    bus["tasks"].append(task)
    await produce(bus["pool"], 1)
    await produce(bus["pool"], 2)
    start(bus, OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2).run())
    rows = await wait_for(lambda: _count_at_least(bus["pool"], 1))
    assert [r["n"] for r in rows] == [2]

    async def dead() -> int:
        async with bus["pool"].acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM dead_letters"))

    assert await wait_for(dead) == 1
    assert not task.done()  # the consumer is still running


async def test_event_path_timing_stamps_each_step_in_order_and_is_silent_when_off(
    bus: dict[str, Any], caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="ducha.event_path")

    def records(where: str) -> list[logging.LogRecord]:
        return [
            r
            for r in caplog.records
            if r.name == "ducha.event_path" and getattr(r, "where", None) == where
        ]

    quiet = consumer(bus)
    quiet_relay = OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2)
    quiet.committed = quiet_relay.wake
    start(bus, quiet_relay.run())
    start(bus, quiet.run())
    await produce(bus["pool"], 1, "off")
    await wait_for(lambda: _count_at_least(bus["pool"], 1))
    for t in bus["tasks"]:
        t.cancel()
    await asyncio.gather(*bus["tasks"], return_exceptions=True)
    bus["tasks"].clear()
    assert not records("consumer") and not records("relay")

    relay = OutboxRelay(bus["pool"], bus["js"], bus["dsn"], SCHEMA, 0.2, timing=True)
    timed = Consumer(
        "bustest",
        Subscription(stream="TASKS", handlers={Happened.type: record_effect}, contracts=CONTRACTS),
        bus["pool"],
        bus["js"],
        committed=relay.wake,
        timing=True,
    )
    start(bus, relay.run())
    start(bus, timed.run())
    await produce(bus["pool"], 2, "on")
    await wait_for(lambda: _count_at_least(bus["pool"], 2))

    async def both_logged() -> bool:
        return bool(records("consumer")) and bool(records("relay"))

    await wait_for(both_logged)
    (seen,) = records("consumer")
    assert seen.__dict__["key"] == "on:2"
    s = seen.__dict__["stamps"]
    order = ["received", "read", "acquired", "begun", "handled", "committed", "acked"]
    assert [s[k] for k in order] == sorted(s[k] for k in order)
    (sent,) = records("relay")
    assert sent.__dict__["key"] == "on:2"
    r = sent.__dict__["stamps"]
    assert r["round"] <= r["claimed"] <= r["published"] <= r["marked"]
