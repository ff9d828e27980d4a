"""The real platform for end-to-end tests: three service processes and the Hive Gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, running_platform, token


@pytest.fixture(scope="module")
def stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(settings, OUTBOX_POLL_SECONDS="0.5") as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def gateway(stack: Stack, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield GraphQLClient(client, stack.gateway_url, token(settings))
