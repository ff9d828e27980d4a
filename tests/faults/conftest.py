"""Servers of the fault tests' own: a PostgreSQL to stop and start, a NATS to freeze.

Nothing else uses them, so stopping or freezing them disturbs no other test. The three
services run in-process (their lifespans in the test's event loop) and are never
restarted: what the tests measure is how they ride the fault out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from services.core.embedded import EmbeddedNats, EmbeddedPostgres
from services.core.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.servers import GraphQLClient, create_database, running_service


class StoppablePostgres(EmbeddedPostgres):
    async def stop_async(self) -> None:
        await asyncio.to_thread(self.stop)

    async def start_async(self) -> None:
        await asyncio.to_thread(self.start)


class FreezableNats(EmbeddedNats):
    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def fault_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoppablePostgres]:
    pg = StoppablePostgres(tmp_path_factory.mktemp("fault-pg") / "data")
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def fault_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreezableNats]:
    server = FreezableNats(tmp_path_factory.mktemp("fault-nats") / "js")
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.thaw()  # a failed test must not leave it stopped
        server.stop()


@pytest_asyncio.fixture(scope="module")
async def fault_settings(
    fault_pg: StoppablePostgres,
    fault_nats: FreezableNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return Settings(
        database_url=await create_database(fault_pg.dsn),
        nats_url=fault_nats.url,
        jwt_secret=TEST_SECRET,
        data_dir=Path(tmp_path_factory.mktemp("fault-data")),
        # a slow poll: only a working LISTEN publishes promptly after PostgreSQL returns
        outbox_poll_seconds=30,
        consumer_ack_wait_seconds=5,
        consumer_max_deliver=3,
        consumer_retry_max_seconds=1.0,
        readiness_timeout_seconds=1.0,
        sweep_interval_seconds=3600,
        reminder_scan_seconds=3600,
        log_json=False,
    )


@dataclass
class Platform:
    apps: dict[str, Any]
    clients: dict[str, GraphQLClient]
    settings: Settings
    pg: StoppablePostgres
    nats: FreezableNats


@pytest_asyncio.fixture(scope="module")
async def platform(
    fault_settings: Settings, fault_pg: StoppablePostgres, fault_nats: FreezableNats
) -> AsyncIterator[Platform]:
    apps: dict[str, Any] = {}
    clients: dict[str, GraphQLClient] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name in ("tasks", "alerts", "evaluation"):
            app, client = await stack.enter_async_context(running_service(name, fault_settings))
            apps[name] = app
            clients[name] = client
        yield Platform(apps, clients, fault_settings, fault_pg, fault_nats)
