"""Evaluation through the real Hive Gateway: tasks events become a ranked, explained file."""

from __future__ import annotations

import base64
import io
from datetime import date, timedelta
from typing import Any

import openpyxl

from services.core.clock import today as district_today
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, token, wait_for

UNIT = """mutation($input: UnitCreateInput!) { unitCreate(input: $input) {
  ... on UnitCreateSuccess { unit { id } } } }"""
PERSON = """mutation($input: PersonCreateInput!) { personCreate(input: $input) {
  ... on PersonCreateSuccess { person { id } } } }"""
ITEM = """mutation($input: ItemCreateInput!) { itemCreate(input: $input) { __typename
  ... on ItemCreateSuccess { item { id } } ... on UserError { code message } } }"""
RANKINGS = """query($p: ID!) { cadreRankings(periodId: $p, first: 10) { totalCount
  nodes { rank rankGroup score person { name performance(periodId: $p) { score lines { rule explanation } } } } } }"""


async def test_ranking_and_files_through_the_gateway(
    gateway: GraphQLClient, settings: Settings
) -> None:
    unit = await gateway(
        UNIT, {"input": {"code": "EV01", "name": "城关街道", "kind": "STREET", "category": "街道"}}
    )
    unit_id = unit["unitCreate"]["unit"]["id"]
    people = {}
    for name, rank in (("赵一", "正科"), ("钱二", "副科")):
        p = await gateway(
            PERSON, {"input": {"name": name, "unitId": unit_id, "roles": ["CADRE"], "rank": rank}}
        )
        people[name] = p["personCreate"]["person"]["id"]
    today = district_today()
    for owner, importance in (("赵一", 3), ("钱二", 1)):
        created = await gateway(
            ITEM,
            {
                "input": {
                    "title": f"{owner}承办事项",
                    "leadUnitId": unit_id,
                    "startDate": str(today - timedelta(days=1)),
                    "deadline": str(today + timedelta(days=90)),
                    "ownerIds": [people[owner]],
                    "importance": importance,
                    "confirmDuplicate": True,  # look-alike items on purpose
                }
            },
        )
        assert created["itemCreate"]["__typename"] == "ItemCreateSuccess", created
    year = today.year
    period = await gateway(
        """mutation($i: PeriodCreateInput!) { periodCreate(input: $i) { __typename
        ... on PeriodCreateSuccess { period { id } } } }""",
        {
            "i": {
                "kind": "YEAR",
                "name": f"{year}年度",
                "startsOn": str(date(year, 1, 1)),
                "endsOn": str(date(year, 12, 31)),
            }
        },
    )
    pid = period["periodCreate"]["period"]["id"]

    async def ranked() -> dict[str, Any] | None:
        data = (await gateway(RANKINGS, {"p": pid}))["cadreRankings"]
        scored = [n for n in data["nodes"] if n["score"] > 0]
        return data if len(scored) == 2 else None

    data = await wait_for(ranked, timeout=30)
    first, second = data["nodes"][0], data["nodes"][1]
    assert first["person"]["name"] == "赵一" and first["rank"] == 1 and first["score"] == 3.0
    assert second["person"]["name"] == "钱二" and second["rankGroup"] == "副科"
    assert first["person"]["performance"]["lines"][0]["rule"] == "ITEM_TAKEN_ON"
    assert "赵一承办事项" in first["person"]["performance"]["lines"][0]["explanation"]

    # a cadre sees their own file and not a colleague's
    own = gateway.as_(token(settings, "CADRE", subject=people["钱二"]))
    mine = await own("{ myPerformance { score entries } }")
    assert mine["myPerformance"] == {"score": 1.0, "entries": 1}
    body = await own.raw(RANKINGS, {"p": pid})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    units = await gateway(
        "query($p: ID!) { units { id name evaluation(periodId: $p) { rank total failed lines } } }",
        {"p": pid},
    )
    ours = next(u for u in units["units"] if u["id"] == unit_id)
    assert ours["evaluation"]["rank"] >= 1 and ours["evaluation"]["lines"]

    export = await gateway(
        "query($p: ID!) { bulletinExport(periodId: $p) { filename contentBase64 } }", {"p": pid}
    )
    wb = openpyxl.load_workbook(
        io.BytesIO(base64.b64decode(export["bulletinExport"]["contentBase64"]))
    )
    sheet = wb["干部政绩排名"]
    assert [c.value for c in sheet[1]][:4] == ["名次", "组内名次", "职级组", "姓名"]
    assert sheet.cell(2, 4).value == "赵一"
