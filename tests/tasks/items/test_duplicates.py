"""重复督查: a new item that looks like an open one is a typed warning the office must
confirm, not a silent second item; two-character keywords find items."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.tasks.items.domain import DUPLICATE_THRESHOLD, find_duplicates, title_similarity
from tests.support.servers import running_service
from tests.tasks.support import make_unit

CREATE = """mutation ($i: ItemCreateInput!) { itemCreate(input: $i) { __typename
  ... on ItemCreateSuccess { item { id code sourceDocumentNo } }
  ... on DuplicateWarning { code message field duplicates { itemId code title reason similarity } }
  ... on UserError { code message field } } }"""


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("推进老旧小区改造", "推进老旧小区改造工作", True),
        ("老旧小区改造", "老旧小区加装电梯", False),
        ("背街小巷整治", "背街小巷环境整治", True),
        ("供水管网改造", "老旧小区改造", False),
        ("河道治理", "河道治理", True),
    ],
)
def test_title_similarity(a: str, b: str, similar: bool) -> None:
    assert (title_similarity(a, b) >= DUPLICATE_THRESHOLD) is similar


def test_same_document_wins_over_unit() -> None:
    items: list[dict[str, object]] = [
        {
            "id": "1",
            "code": "DB-2018-0001",
            "title": "完全不同",
            "lead_unit_id": "X",
            "source_document_no": "区委〔2018〕1号",
        },
        {
            "id": "2",
            "code": "DB-2018-0002",
            "title": "推进老旧小区改造",
            "lead_unit_id": "L",
            "source_document_no": None,
        },
        {
            "id": "3",
            "code": "DB-2018-0003",
            "title": "推进老旧小区改造",
            "lead_unit_id": "Y",
            "source_document_no": None,
        },
    ]
    found = find_duplicates("推进老旧小区改造工作", "L", "区委〔2018〕1号", items)
    assert [(d.code, d.reason) for d in found] == [
        ("DB-2018-0001", "SAME_DOCUMENT"),
        ("DB-2018-0002", "SIMILAR_TITLE"),
    ]


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (_app, client):
        yield {"client": client, "lead": await make_unit(client), "other": await make_unit(client)}


async def create(w: dict[str, Any], **fields: Any) -> dict[str, Any]:
    item = {"startDate": "2018-01-01", "deadline": "2099-06-30", **fields}
    return (await w["client"](CREATE, {"i": item}))["itemCreate"]  # type: ignore[no-any-return]


async def test_create_warns_of_an_open_look_alike_until_confirmed(world: dict[str, Any]) -> None:
    w = world
    first = await create(w, title="推进城区雨污分流改造", leadUnitId=w["lead"])
    assert first["__typename"] == "ItemCreateSuccess", first
    warned = await create(w, title="推进城区雨污分流改造工程", leadUnitId=w["lead"])
    assert warned["__typename"] == "DuplicateWarning", warned
    assert warned["code"] == "DUPLICATE_SUSPECTED"
    [dup] = warned["duplicates"]
    assert dup["itemId"] == first["item"]["id"] and dup["reason"] == "SIMILAR_TITLE"
    # another unit with a similar title is not a duplicate
    other = await create(w, title="推进城区雨污分流改造工程", leadUnitId=w["other"])
    assert other["__typename"] == "ItemCreateSuccess", other
    confirmed = await create(
        w, title="推进城区雨污分流改造工程", leadUnitId=w["lead"], confirmDuplicate=True
    )
    assert confirmed["__typename"] == "ItemCreateSuccess", confirmed


async def test_same_document_number_is_a_duplicate_across_units(world: dict[str, Any]) -> None:
    w = world
    doc = "区委督〔2018〕27号"
    first = await create(w, title="落实秸秆禁烧", leadUnitId=w["lead"], sourceDocumentNo=doc)
    assert first["item"]["sourceDocumentNo"] == doc
    warned = await create(w, title="秸秆综合利用", leadUnitId=w["other"], sourceDocumentNo=doc)
    assert warned["__typename"] == "DuplicateWarning", warned
    assert warned["duplicates"][0]["reason"] == "SAME_DOCUMENT"


async def test_two_character_keywords_find_items(world: dict[str, Any]) -> None:
    w = world
    made = await create(w, title="解决电梯加装难题", leadUnitId=w["lead"])
    assert made["__typename"] == "ItemCreateSuccess", made
    for keyword in ("电梯", "难题", "电梯加装"):
        data = await w["client"](
            "query ($k: String) { items(first: 50, filter: {keyword: $k}) { nodes { id } } }",
            {"k": keyword},
        )
        assert made["item"]["id"] in [n["id"] for n in data["items"]["nodes"]], keyword
