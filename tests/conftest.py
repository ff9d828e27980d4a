"""Session fixtures: a real PostgreSQL and real NATS JetStream from the embedded wheels.

Each test module gets its own database and its own NATS server (so streams and
durable consumers never leak between modules); PostgreSQL itself is started once.
Set DATABASE_URL / NATS_URL only for tests that say they target external servers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from services.core.embedded import EmbeddedNats, EmbeddedPostgres
from services.core.settings import Settings
from tests.support.servers import create_database

TEST_SECRET = "test-secret-for-ducha-tests-only-0123456789"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path_factory.mktemp("nats") / "js")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module")
async def database_url(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    yield await create_database(pg_server.dsn)


@pytest.fixture(scope="module")
def settings(
    database_url: str, nats_server: EmbeddedNats, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=database_url,
        nats_url=nats_server.url,
        jwt_secret=TEST_SECRET,
        data_dir=Path(tmp_path_factory.mktemp("data")),
        outbox_poll_seconds=0.5,
        consumer_ack_wait_seconds=5,
        sweep_interval_seconds=3600,
        log_json=False,
    )
