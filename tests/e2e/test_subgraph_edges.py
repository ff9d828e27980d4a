"""Subgraphs defend themselves: only signed requests from the gateway, limits, bad JSON = 400."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.registry import SERVICE_NAMES
from services.stack import Stack
from tests.support.servers import GraphQLClient, running_platform, token

SECRET = "gateway-signs-subgraph-requests-0123456789"


@pytest.fixture(scope="module")
def signed_stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(settings, DEV_MODE="false", SUBGRAPH_HMAC_SECRET=SECRET) as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def http(signed_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as c:
        yield c


@pytest.mark.e2e
async def test_subgraphs_answer_only_the_gateways_signed_requests(
    signed_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    office = token(settings)
    through_gateway = GraphQLClient(http, signed_stack.gateway_url, office)
    created = await through_gateway(
        """mutation { unitCreate(input: {code: "SIG-1", name: "签名街道", kind: STREET, category: "街道"}) {
            __typename } }"""
    )
    assert created["unitCreate"]["__typename"] == "UnitCreateSuccess", created
    # one operation through all three subgraphs (tasks, then alerts by entity lookup)
    data = await through_gateway("{ units { id name alertCounts { level count } } }")
    assert any(u["name"] == "签名街道" and len(u["alertCounts"]) == 4 for u in data["units"])
    for name in SERVICE_NAMES:
        direct = GraphQLClient(http, signed_stack.service_url(name), office)
        body = await direct.raw("{ _service { sdl } }")
        assert body.get("data") is None, (name, body)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        entities = await direct.raw(
            '{ _entities(representations: [{__typename: "Unit", id: "x"}]) { __typename } }'
        )
        assert entities.get("data") is None and entities["errors"], (name, entities)


@pytest.mark.e2e
async def test_subgraphs_refuse_bad_json_and_deep_documents(
    signed_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    headers = {"authorization": f"Bearer {token(settings)}", "content-type": "application/json"}
    for name in SERVICE_NAMES:
        url = signed_stack.service_url(name)
        nested = b"[" * 100_000 + b"]" * 100_000
        for body in (nested, b"{not json", b'{"query": "{ a "'):
            r = await http.post(url, content=body, headers=headers)
            assert r.status_code in {200, 400}, (name, r.status_code, r.text[:200])
            assert r.status_code == 400 or r.json().get("errors"), (name, r.text[:200])
            assert "Traceback" not in r.text
        deep = "{ units { " + "unit { " * 40 + "id" + " }" * 40 + " } }"
        r = await http.post(url, json={"query": deep}, headers=headers)
        assert r.status_code in {200, 400} and r.json().get("errors"), (name, r.text[:200])
