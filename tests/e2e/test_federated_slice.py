"""Through the real Hive Gateway: create an item, read it back with fields of all three subgraphs."""

from __future__ import annotations

from typing import Any

import httpx

from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, token, wait_for

CREATE_UNIT = """
mutation($input: UnitCreateInput!) { unitCreate(input: $input) {
  __typename ... on UnitCreateSuccess { unit { id } } ... on UserError { code message } } }"""
CREATE_PERSON = """
mutation($input: PersonCreateInput!) { personCreate(input: $input) {
  __typename ... on PersonCreateSuccess { person { id } } } }"""
CREATE_ITEM = """
mutation($input: ItemCreateInput!) { itemCreate(input: $input) {
  __typename ... on ItemCreateSuccess { item { id code } } ... on UserError { code message field } } }"""
READ_ITEM = """
query($id: ID!) { item(id: $id) {
  code title leadUnit { name } alert { level reason since }
  owners { name performance { score entries } } } }"""


async def test_item_created_through_gateway_has_alert_and_performance(
    gateway: GraphQLClient,
) -> None:
    unit = await gateway(
        CREATE_UNIT,
        {"input": {"code": "E2E01", "name": "城关街道", "kind": "STREET", "category": "街道"}},
    )
    unit_id = unit["unitCreate"]["unit"]["id"]
    person = await gateway(
        CREATE_PERSON,
        {"input": {"name": "王五", "unitId": unit_id, "roles": ["CADRE"], "rank": "正科"}},
    )
    person_id = person["personCreate"]["person"]["id"]
    created = await gateway(
        CREATE_ITEM,
        {
            "input": {
                "title": "背街小巷整治",
                "leadUnitId": unit_id,
                "startDate": "2018-01-02",
                "deadline": "2018-06-30",
                "ownerIds": [person_id],
                "importance": 2,
            }
        },
    )
    assert created["itemCreate"]["__typename"] == "ItemCreateSuccess", created
    item_id = created["itemCreate"]["item"]["id"]
    assert created["itemCreate"]["item"]["code"].startswith("DB-2018-")

    async def read_when_projected() -> dict[str, Any] | None:
        data = await gateway(READ_ITEM, {"id": item_id})
        item = data["item"]
        # taking the item on, then the RED penalty once alerts has coloured it
        ready = item["alert"] is not None and item["owners"][0]["performance"]["entries"] >= 2
        return item if ready else None

    item = await wait_for(read_when_projected, timeout=30)
    assert item["title"] == "背街小巷整治"
    assert item["leadUnit"]["name"] == "城关街道"
    assert item["alert"]["level"] == "RED"  # the deadline is long past
    assert item["owners"][0]["performance"]["score"] == 0.0  # +2.0 taken on, -2.0 RED


async def test_gateway_rejects_missing_and_forged_tokens(
    gateway: GraphQLClient, settings: Settings
) -> None:
    body = await gateway.as_(None).raw("{ items { nodes { id } } }")
    assert not body.get("data")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    forged = Settings(jwt_secret="not-the-real-secret", data_dir=settings.data_dir)
    body = await gateway.as_(token(forged)).raw("{ items { nodes { id } } }")
    assert not body.get("data")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await gateway.as_("not-a-jwt").raw("{ items { nodes { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subgraph_refuses_requests_without_a_valid_token(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        for name in stack.service_ports:
            r = await client.post(stack.service_url(name), json={"query": "{ __typename }"})
            assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_validation_errors_are_typed_and_change_nothing(gateway: GraphQLClient) -> None:
    units = await gateway("{ units { id } }")
    before = await gateway("{ items(first: 200) { nodes { id } } }")
    result = await gateway(
        CREATE_ITEM,
        {
            "input": {
                "title": "",
                "leadUnitId": units["units"][0]["id"],
                "startDate": "2018-03-01",
                "deadline": "2018-02-01",
            }
        },
    )
    assert result["itemCreate"]["__typename"] == "ValidationError"
    after = await gateway("{ items(first: 200) { nodes { id } } }")
    assert len(after["items"]["nodes"]) == len(before["items"]["nodes"])


async def test_gateway_limits_query_size(gateway: GraphQLClient) -> None:
    small = "{ " + " ".join(f"a{i}: __typename" for i in range(10)) + " }"
    assert not (await gateway.raw(small)).get("errors")
    huge = "{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"
    body = await gateway.raw(huge)
    assert body.get("errors") and not body.get("data")
