"""Issue 14's done-when through the real gateway: a department's receiver registered by
GraphQL with a unit scope gets a signed CloudEvent within 2 s of a colour change of an
item of its unit, and nothing about another unit's item."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import httpx
import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.stack import Stack
from tests.alerts.integrations.receiver import Receiver
from tests.support.servers import GraphQLClient, running_platform, token, wait_for
from tests.tasks.support import make_item, make_unit

COLOUR = "cn.gov.ducha.item.colour_changed"


@pytest.fixture(scope="module")
def stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(
        settings,
        OUTBOX_POLL_SECONDS="0.5",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_REQUIRE_HTTPS="false",
        WEBHOOK_DISPATCH_INTERVAL_SECONDS="0.1",
    ) as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def gateway(stack: Stack, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield GraphQLClient(client, stack.gateway_url, token(settings))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


async def test_a_scoped_receiver_gets_its_units_colour_changes_only(
    gateway: GraphQLClient, receiver: Receiver
) -> None:
    ours = await make_unit(gateway, f"东城街道{uuid.uuid4().hex[:4]}")
    theirs = await make_unit(gateway, f"西城街道{uuid.uuid4().hex[:4]}")
    created = await gateway(
        "mutation($i: IntegrationClientCreateInput!) { integrationClientCreate(input: $i) {"
        " ... on IntegrationClientCreateSuccess { token } ... on UserError { message } } }",
        {"i": {"name": "区住建局系统", "unitIds": [ours], "eventTypes": [COLOUR]}},
    )
    dept = gateway.as_(created["integrationClientCreate"]["token"])
    sub = await dept(
        "mutation($i: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $i) {"
        " ... on WebhookSubscriptionSecret { secret } ... on UserError { message } } }",
        {"i": {"url": receiver.url, "eventTypes": [COLOUR]}},
    )
    receiver.secrets.append(sub["webhookSubscriptionCreate"]["secret"])

    other = await make_item(gateway, theirs, title="农村人居环境整治")
    mine = await make_item(gateway, ours, title="背街小巷环境整治")

    async def arrived() -> list[dict[str, object]]:
        return [e for e in receiver.events(COLOUR) if e["subject"] == mine]

    (event,) = await wait_for(arrived, timeout=30)
    got = next(r for r in receiver.received if r.event["subject"] == mine)
    changed = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    latency = got.at - changed.timestamp()
    print(f"\ngateway e2e: colour change to webhook in {latency * 1000:.0f} ms")
    assert latency < 2.0
    assert got.verified_by == [0] and not receiver.rejected

    # another unit's item changed colour too (it is on the office's feed), but not here
    async def on_feed() -> bool:
        data = await gateway(
            "{ integrationEvents(first: 500) { events } }",
        )
        return any(e["subject"] == other for e in data["integrationEvents"]["events"])

    await wait_for(on_feed, timeout=30)
    assert not [e for e in receiver.events() if e["subject"] == other]
    pulled = await dept("{ integrationEvents(first: 500) { events } }")
    assert {e["subject"] for e in pulled["integrationEvents"]["events"]} == {mine}
