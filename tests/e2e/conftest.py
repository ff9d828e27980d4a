"""The real platform for end-to-end tests: three service processes and the Hive Gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack
from tests.support.servers import GraphQLClient, token


@pytest.fixture(scope="module")
def stack(settings: Settings) -> Iterator[Stack]:
    s = Stack(
        data_dir=settings.data_dir,
        database_url=settings.require_database_url(),
        nats_url=settings.require_nats_url(),
        jwt_secret=settings.signing_secret(),
        extra_env={"LOG_JSON": "false", "OUTBOX_POLL_SECONDS": "0.5"},
    )
    try:
        for name in SERVICE_NAMES:
            s.start_service(name)
        s.start_gateway()
        s.wait_ready(120)
        yield s
    finally:
        s.stop()


@pytest_asyncio.fixture(scope="module")
async def gateway(stack: Stack, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield GraphQLClient(client, stack.gateway_url, token(settings))
