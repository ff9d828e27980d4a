"""Builders for tasks tests (units, people, items through GraphQL as the office)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.servers import GraphQLClient


async def make_unit(client: GraphQLClient, name: str | None = None, kind: str = "STREET") -> str:
    code = uuid.uuid4().hex[:8]
    data = await client(
        "mutation ($c: String!, $n: String!, $k: UnitKind!) {"
        ' unitCreate(input: {code: $c, name: $n, kind: $k, category: "街道"}) {'
        " ... on UnitCreateSuccess { unit { id } } ... on UserError { message } } }",
        {"c": code, "n": name or f"测试单位{code}", "k": kind},
    )
    return str(data["unitCreate"]["unit"]["id"])


async def make_person(
    client: GraphQLClient, unit_id: str | None, name: str = "张三", roles: list[str] | None = None
) -> str:
    data = await client(
        "mutation ($u: ID, $n: String!, $r: [String!]!) {"
        ' personCreate(input: {name: $n, unitId: $u, rank: "正科", roles: $r}) {'
        " ... on PersonCreateSuccess { person { id } } ... on UserError { message } } }",
        {"u": unit_id, "n": name, "r": roles or ["CADRE"]},
    )
    return str(data["personCreate"]["person"]["id"])


async def make_item(client: GraphQLClient, lead_unit_id: str, **overrides: Any) -> str:
    item = {
        "title": "推进老旧小区改造",
        "leadUnitId": lead_unit_id,
        "startDate": "2018-01-01",
        "deadline": "2099-06-30",
        "confirmDuplicate": True,  # builders make look-alike items on purpose
        **overrides,
    }
    data = await client(
        "mutation ($i: ItemCreateInput!) { itemCreate(input: $i) {"
        " ... on ItemCreateSuccess { item { id } } ... on UserError { message } } }",
        {"i": item},
    )
    assert "item" in data["itemCreate"], data
    return str(data["itemCreate"]["item"]["id"])
