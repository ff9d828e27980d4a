"""`_entities` with many representations costs one SQL query per entity type."""

from __future__ import annotations

from typing import Any

import pytest

from services.core.settings import Settings
from services.tasks import loaders as store
from tests.support.servers import running_service

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on SupervisionItem { code leadUnit { name } }
  ... on Unit { name } } }"""


async def test_tasks_entities_are_loaded_in_batches(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[str, int] = {}

    def counting(name: str) -> Any:
        original = getattr(store, name)

        async def wrapper(conn: Any, ids: list[Any]) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return await original(conn, ids)

        return wrapper

    async with running_service("tasks", settings) as (_, gql):
        unit = await gql(
            'mutation { unitCreate(input: {code: "B1", name: "东城街道", kind: STREET,'
            ' category: "街道"}) { ... on UnitCreateSuccess { unit { id } } } }'
        )
        unit_id = unit["unitCreate"]["unit"]["id"]
        ids = []
        for i in range(12):
            created = await gql(
                "mutation($i: ItemCreateInput!) { itemCreate(input: $i) {"
                " ... on ItemCreateSuccess { item { id } } } }",
                {
                    "i": {
                        "title": f"事项{i}",
                        "leadUnitId": unit_id,
                        "startDate": "2018-01-01",
                        "deadline": "2018-12-31",
                        "confirmDuplicate": True,  # look-alike items on purpose
                    }
                },
            )
            ids.append(created["itemCreate"]["item"]["id"])
        for name in ("list_items_by_ids", "list_units_by_ids"):
            monkeypatch.setattr(store, name, counting(name))
        reps = [{"__typename": "SupervisionItem", "id": i} for i in ids]
        reps += [{"__typename": "Unit", "id": unit_id}, {"__typename": "Unit", "id": "nope"}]
        data = await gql(ENTITIES, {"r": reps})

    entities = data["_entities"]
    assert [e["leadUnit"]["name"] for e in entities[:12]] == ["东城街道"] * 12
    assert entities[12] == {"name": "东城街道"} and entities[13] is None
    assert calls == {"list_items_by_ids": 1, "list_units_by_ids": 1}


ONE_ITEM = "query($id: ID!) { item(id: $id) { code leadUnit { name } } }"
ITEM_VIA_FRAGMENT = """query($id: ID!) { item(id: $id) { ...Lead } }
fragment Lead on SupervisionItem { code ... on SupervisionItem { leadUnit { name } } }"""


async def test_one_item_and_its_lead_unit_come_in_one_round_trip(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []

    def counting(name: str) -> Any:
        original = getattr(store, name)

        async def wrapper(conn: Any, ids: list[Any]) -> Any:
            fetched.append(name)
            return await original(conn, ids)

        return wrapper

    async with running_service("tasks", settings) as (_, gql):
        unit = await gql(
            'mutation { unitCreate(input: {code: "B2", name: "西城街道", kind: STREET,'
            ' category: "街道"}) { ... on UnitCreateSuccess { unit { id } } } }'
        )
        created = await gql(
            "mutation($i: ItemCreateInput!) { itemCreate(input: $i) {"
            " ... on ItemCreateSuccess { item { id } } } }",
            {
                "i": {
                    "title": "单条事项",
                    "leadUnitId": unit["unitCreate"]["unit"]["id"],
                    "startDate": "2018-01-01",
                    "deadline": "2018-12-31",
                    "confirmDuplicate": True,
                }
            },
        )
        item_id = created["itemCreate"]["item"]["id"]
        for name in ("list_items_by_ids", "list_units_by_ids", "list_items_with_lead_units_by_ids"):
            monkeypatch.setattr(store, name, counting(name))
        for query in (ONE_ITEM, ITEM_VIA_FRAGMENT):
            fetched.clear()
            data = await gql(query, {"id": item_id})
            assert data["item"]["leadUnit"] == {"name": "西城街道"}
            assert fetched == ["list_items_with_lead_units_by_ids"], query
        fetched.clear()
        plain = await gql("query($id: ID!) { item(id: $id) { code } }", {"id": item_id})
        assert plain["item"]["code"] and fetched == ["list_items_by_ids"]
        missing = await gql(ONE_ITEM, {"id": "00000000-0000-0000-0000-000000000000"})
        assert missing["item"] is None
