"""Supervised background work: restarts with backoff, dead and stuck workers reported."""

from __future__ import annotations

import asyncio

import asyncpg
import nats.errors

from services.core.supervisor import (
    WORKER_RESTARTS,
    Heartbeat,
    Supervisor,
    is_infrastructure_error,
)
from tests.support.servers import wait_for


async def test_a_crashing_worker_is_restarted_and_counted() -> None:
    runs = {"n": 0}

    async def crashes_twice(hb: Heartbeat) -> None:
        runs["n"] += 1
        if runs["n"] <= 2:
            raise RuntimeError("boom")
        await asyncio.Event().wait()

    before = WORKER_RESTARTS.labels("crashy")._value.get()
    sup = Supervisor(backoff_initial=0.01, backoff_max=0.05)
    sup.add("crashy", crashes_twice)
    sup.start()
    try:

        async def healthy_again() -> bool:
            return runs["n"] == 3 and sup.problems() == []

        await wait_for(healthy_again, timeout=5)
        assert WORKER_RESTARTS.labels("crashy")._value.get() - before == 2
        assert sup.workers["crashy"].restarts == 2
    finally:
        await sup.stop()


async def test_a_worker_that_stops_beating_is_stuck_and_one_that_ended_is_dead() -> None:
    release = asyncio.Event()

    async def hangs(hb: Heartbeat) -> None:
        hb.beat(0.05)
        await release.wait()

    async def ends(hb: Heartbeat) -> None:
        return None

    sup = Supervisor(backoff_initial=5, backoff_max=5)
    sup.add("hangs", hangs)
    sup.add("ends", ends)
    sup.start()
    try:

        async def both_reported() -> list[str] | None:
            found = sup.problems()
            return found if len(found) == 2 else None

        problems = sorted(await wait_for(both_reported, timeout=5))
        assert problems[0].startswith("ends: not running")
        assert problems[1].startswith("hangs: stuck")
    finally:
        release.set()
        await sup.stop()


def test_infrastructure_errors_are_told_from_event_errors() -> None:
    assert is_infrastructure_error(ConnectionRefusedError(111, "refused"))
    assert is_infrastructure_error(asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    assert is_infrastructure_error(asyncpg.exceptions.AdminShutdownError("shutdown"))
    assert is_infrastructure_error(asyncpg.exceptions.CannotConnectNowError("starting"))
    assert is_infrastructure_error(asyncpg.InterfaceError("connection is closed"))
    assert is_infrastructure_error(nats.errors.TimeoutError())
    assert is_infrastructure_error(TimeoutError())
    wrapped = RuntimeError("while applying")
    wrapped.__cause__ = OSError("network")
    assert is_infrastructure_error(wrapped)
    assert not is_infrastructure_error(ValueError("bad data"))
    assert not is_infrastructure_error(asyncpg.exceptions.UniqueViolationError("dup"))
    assert not is_infrastructure_error(asyncpg.exceptions.DataError("bad value"))
    assert not is_infrastructure_error(KeyError("missing"))
