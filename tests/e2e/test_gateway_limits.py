"""Gateway rate limits on heavy operations (Excel exports), per caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, running_platform, token

EXPORT = "{ ledgerExport { fileName } }"


@pytest.fixture(scope="module")
def limited_stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(settings, GATEWAY_HEAVY_LIMIT_PER_MINUTE="3") as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def client(limited_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as c:
        yield c


async def test_exports_are_limited_per_caller(
    limited_stack: Stack, client: httpx.AsyncClient, settings: Settings
) -> None:
    alice = GraphQLClient(client, limited_stack.gateway_url, token(settings, subject="alice"))
    bob = GraphQLClient(client, limited_stack.gateway_url, token(settings, subject="bob"))
    for _ in range(3):
        assert (await alice(EXPORT))["ledgerExport"]["fileName"].endswith(".xlsx")
    refused = await alice.raw(EXPORT)
    assert refused.get("errors"), refused
    assert "rate limit" in refused["errors"][0]["message"].lower()
    # the limiter only looks at documents that name a limited field: an alias inside a
    # fragment names it too
    hidden = await alice.raw(
        "query { ...Heavy } fragment Heavy on Query { sheet: ledgerExport { fileName } }"
    )
    assert hidden.get("errors") and "rate limit" in hidden["errors"][0]["message"].lower()
    # another caller is not affected, and light queries still pass for the first
    assert (await bob(EXPORT))["ledgerExport"]["fileName"].endswith(".xlsx")
    assert "units" in await alice("{ units { id } }")
