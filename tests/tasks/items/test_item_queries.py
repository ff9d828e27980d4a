"""Item list filters, cursor pagination, scope and statistics (in-process)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest_asyncio

from services.core.auth import Principal, Role
from services.core.settings import Settings
from services.tasks.items import service
from services.tasks.items.domain import Source
from services.tasks.lifecycle import service as life
from tests.support.servers import running_service, token
from tests.tasks.support import make_person, make_unit

OFFICE = Principal("office", roles=frozenset({Role.SUPERVISION_OFFICE}))
LIST = """query ($f: ItemFilter, $first: Int, $after: String) {
  items(first: $first, after: $after, filter: $f) {
    nodes { code title } pageInfo { hasNextPage endCursor } } }"""
STATS = """query ($g: StatisticsDimension!, $f: ItemFilter, $d: Date) {
  itemStatistics(groupBy: $g, filter: $f, today: $d) {
    key label total completed completedOnTime open onTrack overdue suspended cancelled
    completedOrOnTrack } }"""


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (app, client):
        pool = app.state.pool
        a = uuid.UUID(await make_unit(client, "东城街道"))
        b = uuid.UUID(await make_unit(client, "区水务局", "DEPARTMENT"))
        leader = uuid.UUID(await make_person(client, None, "孙区长", ["LEADER"]))
        specs = [
            (
                "老旧小区改造",
                "加装电梯",
                Source.KEY_WORK,
                a,
                [],
                None,
                date(2017, 3, 1),
                date(2017, 6, 30),
            ),
            (
                "河道综合治理",
                "黑臭水体整治",
                Source.MAJOR_PROJECT,
                b,
                [a],
                leader,
                date(2017, 5, 1),
                date(2017, 12, 31),
            ),
            (
                "背街小巷整治",
                "环境卫生",
                Source.PUBLIC_REQUEST,
                a,
                [],
                leader,
                date(2018, 1, 2),
                date(2018, 3, 31),
            ),
            (
                "供水管网改造",
                "管网更新",
                Source.KEY_WORK,
                b,
                [],
                None,
                date(2018, 2, 1),
                date(2018, 9, 30),
            ),
            (
                "人大建议办理",
                "停车难问题",
                Source.CONGRESS_PROPOSAL,
                b,
                [],
                None,
                date(2018, 3, 1),
                date(2018, 5, 31),
            ),
        ]
        ids = []
        for title, content, source, lead, co, resp, start, deadline in specs:
            row = await service.create_item(
                pool,
                OFFICE,
                service.NewItem(
                    title=title,
                    content=content,
                    source=source,
                    lead_unit_id=lead,
                    co_unit_ids=co,
                    responsible_leader_id=resp,
                    start_date=start,
                    deadline=deadline,
                ),
            )
            ids.append(row["id"])
        # the first item is completed on time, the last one cancelled
        unit = Principal("s", roles=frozenset({Role.UNIT_SUPERVISOR}), unit_ids=frozenset({str(a)}))
        t = datetime(2017, 6, 1, 2, tzinfo=UTC)
        await life.sign(pool, unit, life.UnitStep(ids[0], a), now=t)
        await life.request_completion(pool, unit, life.CompletionRequest(ids[0], a, "完成"), now=t)
        await life.verify_completion(pool, OFFICE, life.CompletionDecision(ids[0], a), now=t)
        await life.cancel(pool, OFFICE, life.ItemStep(ids[4], "撤销"))
        yield {
            "client": client,
            "settings": settings,
            "a": str(a),
            "b": str(b),
            "leader": str(leader),
        }


async def titles(w: dict[str, Any], f: dict[str, Any] | None, client: Any = None) -> list[str]:
    data = await (client or w["client"])(LIST, {"f": f, "first": 50})
    return [n["title"] for n in data["items"]["nodes"]]


async def test_filters(world: dict[str, Any]) -> None:
    w = world
    assert len(await titles(w, None)) == 5
    assert set(await titles(w, {"unitId": w["a"]})) == {
        "老旧小区改造",
        "河道综合治理",
        "背街小巷整治",
    }
    assert await titles(w, {"states": ["COMPLETED"]}) == ["老旧小区改造"]
    assert set(await titles(w, {"sources": ["KEY_WORK"]})) == {"老旧小区改造", "供水管网改造"}
    assert set(await titles(w, {"responsibleLeaderId": w["leader"]})) == {
        "河道综合治理",
        "背街小巷整治",
    }
    assert set(await titles(w, {"deadlineFrom": "2018-01-01", "deadlineTo": "2018-06-30"})) == {
        "背街小巷整治",
        "人大建议办理",
    }
    assert await titles(w, {"keyword": "电梯"}) == ["老旧小区改造"]
    assert await titles(w, {"keyword": "改造"}) == ["供水管网改造", "老旧小区改造"]
    assert await titles(w, {"keyword": "100%"}) == []
    assert set(await titles(w, {"year": 2017})) == {"老旧小区改造", "河道综合治理"}
    assert await titles(w, {"year": 2018, "sources": ["KEY_WORK"], "unitId": w["b"]}) == [
        "供水管网改造"
    ]
    # an id that is not one is bad input, not an empty list (issue 10)
    body = await w["client"].raw(LIST, {"f": {"unitId": "not-a-uuid"}, "first": 50})
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "unitId"}
    # the old argument still works
    data = await w["client"]("query ($u: ID) { items(unitId: $u) { nodes { id } } }", {"u": w["b"]})
    assert len(data["items"]["nodes"]) == 3


async def test_cursor_pagination_walks_everything_once(world: dict[str, Any]) -> None:
    w = world
    seen: list[str] = []
    after = None
    while True:
        data = (await w["client"](LIST, {"f": None, "first": 2, "after": after}))["items"]
        seen += [n["code"] for n in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 5


async def test_scope_limits_lists_and_statistics(world: dict[str, Any]) -> None:
    w = world
    head_b = w["client"].as_(token(w["settings"], "UNIT_HEAD", units=[w["b"]]))
    assert set(await titles(w, None, head_b)) == {"河道综合治理", "供水管网改造", "人大建议办理"}
    assert await titles(w, {"unitId": w["a"]}, head_b) == ["河道综合治理"]
    rows = (await head_b(STATS, {"g": "YEAR", "d": "2018-04-15"}))["itemStatistics"]
    assert sum(r["total"] for r in rows) == 3


async def test_statistics(world: dict[str, Any]) -> None:
    w = world
    rows = (await w["client"](STATS, {"g": "YEAR", "d": "2018-04-15"}))["itemStatistics"]
    by_year = {r["key"]: r for r in rows}
    assert by_year["2017"]["total"] == 2 and by_year["2017"]["completed"] == 1
    assert by_year["2017"]["completedOnTime"] == 1
    assert by_year["2017"]["overdue"] == 1  # 河道综合治理, deadline 2017-12-31
    y18 = by_year["2018"]
    assert (y18["total"], y18["open"], y18["overdue"], y18["onTrack"], y18["cancelled"]) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert y18["completedOrOnTrack"] == 1
    source = {r["key"]: r for r in (await w["client"](STATS, {"g": "SOURCE"}))["itemStatistics"]}
    assert source["KEY_WORK"]["total"] == 2 and source["KEY_WORK"]["label"] == "重点工作"
    units = {
        r["label"]: r["total"] for r in (await w["client"](STATS, {"g": "UNIT"}))["itemStatistics"]
    }
    assert units == {"东城街道": 3, "区水务局": 3}
    states = {
        r["key"]: r["total"] for r in (await w["client"](STATS, {"g": "STATE"}))["itemStatistics"]
    }
    assert states == {"ASSIGNED": 3, "CANCELLED": 1, "COMPLETED": 1}
    filtered = (await w["client"](STATS, {"g": "YEAR", "f": {"year": 2017}}))["itemStatistics"]
    assert [r["key"] for r in filtered] == ["2017"]
    # the big screen's trend: one row per start month, oldest first
    months = (await w["client"](STATS, {"g": "MONTH"}))["itemStatistics"]
    assert [(r["key"], r["total"]) for r in months] == [
        ("2017-03", 1),
        ("2017-05", 1),
        ("2018-01", 1),
        ("2018-02", 1),
        ("2018-03", 1),
    ]
