"""The item lifecycle through the tasks subgraph (in-process, real PostgreSQL and NATS)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest_asyncio

from services.core.clock import today as district_today
from services.core.db import connect
from services.core.settings import Settings
from tests.support.servers import running_service, token
from tests.tasks.lifecycle_support import DETAIL, call
from tests.tasks.support import make_item, make_person, make_unit

# the district's date (Asia/Shanghai), as the services see it: the machine's UTC date
# is the day before for eight hours of every day
TODAY = district_today()


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (_app, client):
        lead = await make_unit(client, "东城街道")
        co = await make_unit(client, "区住建局", "DEPARTMENT")
        other = await make_unit(client, "西城街道")
        supervisor = await make_person(client, lead, "李督查", ["UNIT_SUPERVISOR"])
        co_head = await make_person(client, co, "王局长", ["UNIT_HEAD"])
        leader = await make_person(client, None, "孙区长", ["LEADER"])
        owner = await make_person(client, lead, "赵科长", ["CADRE"])
        conn = await connect(settings.require_database_url(), "tasks")
        w = {
            "client": client,
            "conn": conn,
            "settings": settings,
            "lead": lead,
            "co": co,
            "other": other,
            "owner": owner,
            "leader": leader,
            "lead_unit": client.as_(
                token(settings, "UNIT_SUPERVISOR", subject=supervisor, units=[lead])
            ),
            "co_unit": client.as_(token(settings, "UNIT_HEAD", subject=co_head, units=[co])),
            "leader_client": client.as_(token(settings, "LEADER", subject=leader)),
        }
        try:
            yield w
        finally:
            await conn.close()


async def new_item(w: dict[str, Any], **overrides: Any) -> str:
    return await make_item(
        w["client"],
        w["lead"],
        coUnitIds=[w["co"]],
        ownerIds=[w["owner"]],
        responsibleLeaderId=w["leader"],
        deadline=(TODAY + timedelta(days=60)).isoformat(),
        **overrides,
    )


async def events(conn: asyncpg.Connection, item_id: str) -> list[tuple[str, int]]:
    rows = await conn.fetch(
        "SELECT subject, (payload->>'aggregate_version')::int AS v FROM outbox"
        " WHERE payload->>'aggregate_id' = $1 ORDER BY seq",
        item_id,
    )
    return [(r["subject"], r["v"]) for r in rows]


async def state_of(conn: asyncpg.Connection, item_id: str) -> tuple[str, int, int]:
    row = await conn.fetchrow(
        "SELECT state, version, (SELECT count(*) FROM outbox) AS n FROM items WHERE id = $1",
        uuid.UUID(item_id),
    )
    return row["state"], row["version"], row["n"]


async def test_whole_lifecycle_completes_when_every_unit_is_done(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    lead, co = w["lead_unit"], w["co_unit"]
    r = await call(lead, "assignmentSign", itemId=item, unitId=w["lead"])
    assert r["__typename"] == "ItemChangeSuccess", r
    assert r["item"]["state"] == "IN_PROGRESS"
    r = await call(co, "assignmentSign", itemId=item, unitId=w["co"])
    r = await call(
        lead,
        "itemReportProgress",
        itemId=item,
        unitId=w["lead"],
        percent=40,
        narrative="已完成摸底调查",
        problems="资金未到位",
        nextSteps="协调财政局",
        idempotencyKey="r-1",
    )
    assert r["__typename"] == "ItemReportProgressSuccess", r
    lead_assignment = next(a for a in r["item"]["assignments"] if a["role"] == "LEAD")
    assert lead_assignment["percent"] == 40 and lead_assignment["lastReportAt"]
    before = await state_of(w["conn"], item)
    dup = await call(
        lead,
        "itemReportProgress",
        itemId=item,
        unitId=w["lead"],
        percent=50,
        narrative="重复提交",
        idempotencyKey="r-1",
    )
    assert dup["__typename"] == "ConflictError" and dup["field"] == "idempotencyKey"
    lower = await call(
        lead, "itemReportProgress", itemId=item, unitId=w["lead"], percent=30, narrative="回调"
    )
    assert lower["__typename"] == "ValidationError" and lower["field"] == "decreaseReason"
    assert await state_of(w["conn"], item) == before  # nothing changed, no event

    report_id = r["report"]["id"]
    v = await call(w["client"], "reportVerify", reportId=report_id, result="CONFIRMED")
    assert v["__typename"] == "ItemReportProgressSuccess", v

    for client, unit in ((lead, w["lead"]), (co, w["co"])):
        r = await call(client, "completionRequest", itemId=item, unitId=unit, summary="已完成")
        assert r["__typename"] == "ItemChangeSuccess", r
    assert r["item"]["state"] == "COMPLETION_REQUESTED"
    back = await call(
        w["client"], "completionSendBack", itemId=item, unitId=w["co"], note="材料不全"
    )
    assert back["__typename"] == "CompletionDecisionSuccess", back
    assert back["item"]["state"] == "IN_PROGRESS"
    no_reason = await call(w["client"], "completionSendBack", itemId=item, unitId=w["lead"])
    assert no_reason["__typename"] == "ValidationError"
    await call(co, "completionRequest", itemId=item, unitId=w["co"], summary="已补充材料")
    ok = await call(
        w["client"],
        "completionVerify",
        itemId=item,
        unitId=w["lead"],
        inspection={
            "inspectedOn": TODAY.isoformat(),
            "place": "东城街道某小区",
            "participants": "督查办 张三",
            "findings": "整改到位",
        },
    )
    assert ok["verification"]["onSite"] is True and ok["item"]["state"] == "COMPLETION_REQUESTED"
    done = await call(w["client"], "completionVerify", itemId=item, unitId=w["co"])
    assert done["item"]["state"] == "COMPLETED"
    again = await call(w["client"], "completionVerify", itemId=item, unitId=w["co"])
    assert again["__typename"] == "InvalidTransitionError"
    assert again["currentState"] == "COMPLETED"

    got = await events(w["conn"], item)
    versions = [v for _, v in got]
    assert versions == list(range(1, len(got) + 1))
    assert [s for s, _ in got] == [
        "tasks.item.created",
        "tasks.item.signed",
        "tasks.item.signed",
        "tasks.item.progress_reported",
        "tasks.item.report_verified",
        "tasks.item.completion_requested",
        "tasks.item.completion_requested",
        "tasks.item.sent_back",
        "tasks.item.completion_requested",
        "tasks.item.report_verified",
        "tasks.item.report_verified",
        "tasks.item.completed",
    ]
    last = await w["conn"].fetchval(
        "SELECT payload FROM outbox WHERE payload->>'aggregate_id' = $1 ORDER BY seq DESC LIMIT 1",
        item,
    )
    snap = last["data"]["item"]
    assert snap["state"] == "COMPLETED" and len(snap["assignments"]) == 2
    assert all(a["state"] == "COMPLETED" and a["percent"] == 100 for a in snap["assignments"])

    detail = (await w["client"](DETAIL, {"id": item}))["item"]
    assert detail["version"] == len(got)
    assert [r["percent"] for r in detail["reports"]] == [40]
    assert detail["reports"][0]["verificationResult"] == "CONFIRMED"
    assert [v["approved"] for v in detail["verifications"]] == [False, True, True]
    assert detail["verifications"][1]["inspection"]["findings"] == "整改到位"
    actions = [a["action"] for a in detail["auditTrail"]]
    assert actions[0] == "item.created" and actions[-1] == "item.completed"
    assert "report.submitted" in actions and "assignment.sent_back" in actions


async def test_return_with_reason_and_reassign(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    empty = await call(w["co_unit"], "assignmentReturn", itemId=item, unitId=w["co"], reason=" ")
    assert empty["__typename"] == "ValidationError"
    r = await call(
        w["co_unit"], "assignmentReturn", itemId=item, unitId=w["co"], reason="不属于本单位职责"
    )
    co = next(a for a in r["item"]["assignments"] if a["role"] == "CO")
    assert co["state"] == "RETURNED" and co["returnedReason"] == "不属于本单位职责"
    sign = await call(w["co_unit"], "assignmentSign", itemId=item, unitId=w["co"])
    assert sign["__typename"] == "InvalidTransitionError" and sign["currentState"] == "RETURNED"
    r = await call(w["client"], "assignmentReassign", itemId=item, unitId=w["co"], reason="已协调")
    assert r["__typename"] == "ItemChangeSuccess"
    assert [s for s, _ in await events(w["conn"], item)][-2:] == [
        "tasks.item.returned",
        "tasks.item.assigned",
    ]


async def test_extension_keeps_the_original_deadline(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    deadline = TODAY + timedelta(days=60)
    early = await call(
        w["lead_unit"],
        "extensionRequest",
        itemId=item,
        unitId=w["lead"],
        newDeadline=deadline.isoformat(),
        reason="征地未完成",
    )
    assert early["__typename"] == "ValidationError" and early["field"] == "newDeadline"
    new_deadline = (deadline + timedelta(days=30)).isoformat()
    r = await call(
        w["lead_unit"],
        "extensionRequest",
        itemId=item,
        unitId=w["lead"],
        newDeadline=new_deadline,
        reason="征地未完成",
    )
    assert r["extension"]["state"] == "PENDING", r
    second = await call(
        w["co_unit"],
        "extensionRequest",
        itemId=item,
        unitId=w["co"],
        newDeadline=new_deadline,
        reason="同上",
    )
    assert second["__typename"] == "ConflictError"
    d = await call(w["client"], "extensionDecide", extensionId=r["extension"]["id"], approved=True)
    assert d["extension"]["state"] == "APPROVED"
    assert d["item"]["deadline"] == new_deadline
    assert d["item"]["originalDeadline"] == deadline.isoformat()
    again = await call(
        w["client"], "extensionDecide", extensionId=r["extension"]["id"], approved=False, note="x"
    )
    assert again["__typename"] == "ConflictError"
    assert [s for s, _ in await events(w["conn"], item)][-3:] == [
        "tasks.item.extension_requested",
        "tasks.item.extension_decided",
        "tasks.item.deadline_changed",
    ]


async def test_suspend_resume_cancel_instruct_chase(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    assert (await call(w["client"], "itemSuspend", itemId=item))["__typename"] == "ValidationError"
    r = await call(w["client"], "itemSuspend", itemId=item, reason="等待上级政策")
    assert r["item"]["state"] == "SUSPENDED"
    sign = await call(w["lead_unit"], "assignmentSign", itemId=item, unitId=w["lead"])
    assert sign["__typename"] == "InvalidTransitionError" and sign["currentState"] == "SUSPENDED"
    assert "已暂停" in sign["message"]
    r = await call(w["client"], "itemResume", itemId=item)
    assert r["item"]["state"] == "ASSIGNED"
    r = await call(w["leader_client"], "instructionAdd", itemId=item, content="请加快推进")
    assert r["__typename"] == "ItemChangeSuccess"
    r = await call(w["client"], "itemChase", itemId=item, unitId=w["lead"], note="请尽快签收")
    assert r["__typename"] == "ItemChangeSuccess"
    r = await call(w["client"], "itemCancel", itemId=item, reason="政策调整")
    assert r["item"]["state"] == "CANCELLED"
    chase = await call(w["client"], "itemChase", itemId=item)
    assert chase["__typename"] == "InvalidTransitionError" and chase["currentState"] == "CANCELLED"
    detail = (await w["client"](DETAIL, {"id": item}))["item"]
    assert detail["instructions"][0]["content"] == "请加快推进"
    assert detail["instructions"][0]["leader"]["name"] == "孙区长"
    assert detail["chases"][0]["note"] == "请尽快签收"
    assert [s for s, _ in await events(w["conn"], item)] == [
        "tasks.item.created",
        "tasks.item.suspended",
        "tasks.item.resumed",
        "tasks.item.instruction_added",
        "tasks.item.chased",
        "tasks.item.cancelled",
    ]


async def test_bad_input_is_typed_and_changes_nothing(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    before = await state_of(w["conn"], item)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("assignmentSign", {"itemId": str(uuid.uuid4()), "unitId": w["lead"]}, "NotFoundError"),
        ("assignmentSign", {"itemId": "nope", "unitId": w["lead"]}, "ValidationError"),
        (
            "itemReportProgress",
            {"itemId": item, "unitId": w["lead"], "percent": 10, "narrative": ""},
            "ValidationError",
        ),
        (
            "itemReportProgress",
            {"itemId": item, "unitId": w["lead"], "percent": 10, "narrative": "长" * 5001},
            "ValidationError",
        ),
        (
            "itemReportProgress",
            {"itemId": item, "unitId": w["lead"], "percent": 10, "narrative": "未签收先汇报"},
            "InvalidTransitionError",
        ),
        ("itemChase", {"itemId": item, "unitId": w["other"]}, "NotFoundError"),
        ("extensionDecide", {"extensionId": str(uuid.uuid4()), "approved": True}, "NotFoundError"),
        ("reportVerify", {"reportId": str(uuid.uuid4()), "result": "CONFIRMED"}, "NotFoundError"),
        ("itemCancel", {"itemId": item, "reason": "x" * 1001}, "ValidationError"),
    ]
    for name, args, expected in cases:
        client = (
            w["client"] if name not in ("assignmentSign", "itemReportProgress") else w["lead_unit"]
        )
        r = await call(client, name, **args)
        assert r["__typename"] == expected, (name, args, r)
    assert await state_of(w["conn"], item) == before


async def test_create_item_rejects_bad_input(world: dict[str, Any]) -> None:
    w = world
    doc = (
        "mutation ($i: ItemCreateInput!) { itemCreate(input: $i) { __typename"
        " ... on UserError { field } } }"
    )
    base = {
        "title": "整治",
        "leadUnitId": w["lead"],
        "startDate": "2018-01-01",
        "deadline": "2018-06-30",
    }
    n = await w["conn"].fetchval("SELECT count(*) FROM items")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"title": ""}, "ValidationError", "title"),
        ({"title": "标" * 201}, "ValidationError", "title"),
        ({"deadline": "2017-12-31"}, "ValidationError", "deadline"),
        ({"leadUnitId": str(uuid.uuid4())}, "NotFoundError", "leadUnitId"),
        ({"ownerIds": [str(uuid.uuid4())]}, "NotFoundError", "ownerIds"),
        ({"coUnitIds": [w["lead"]]}, "ValidationError", "coUnitIds"),
        (
            {
                "planNodes": [
                    {"date": "2018-05-01", "percent": 50},
                    {"date": "2018-03-01", "percent": 80},
                ]
            },
            "ValidationError",
            "planNodes",
        ),
    ]
    for override, typename, field in cases:
        r = (await w["client"](doc, {"i": {**base, **override}}))["itemCreate"]
        assert (r["__typename"], r.get("field")) == (typename, field), override
    assert await w["conn"].fetchval("SELECT count(*) FROM items") == n


async def test_units_and_people_are_updated_with_events(world: dict[str, Any]) -> None:
    w = world
    unit = await make_unit(w["client"], "临时单位")
    r = await w["client"](
        "mutation ($i: UnitUpdateInput!) { unitUpdate(input: $i) { __typename"
        " ... on UnitUpdateSuccess { unit { name kind } } } }",
        {"i": {"id": unit, "name": "新城街道", "kind": "TOWNSHIP"}},
    )
    assert r["unitUpdate"]["unit"] == {"name": "新城街道", "kind": "TOWNSHIP"}
    person = await make_person(w["client"], unit, "钱七")
    doc = (
        "mutation ($i: PersonUpdateInput!) { personUpdate(input: $i) { __typename"
        " ... on PersonUpdateSuccess { person { name roles position } }"
        " ... on UserError { field } } }"
    )
    r = await w["client"](doc, {"i": {"id": person, "position": "副主任", "roles": ["UNIT_HEAD"]}})
    assert r["personUpdate"]["person"] == {
        "name": "钱七",
        "roles": ["UNIT_HEAD"],
        "position": "副主任",
    }
    bad = await w["client"](doc, {"i": {"id": person, "roles": ["KING"]}})
    assert bad["personUpdate"] == {"__typename": "ValidationError", "field": "roles"}
    missing = await w["client"](doc, {"i": {"id": str(uuid.uuid4()), "name": "x"}})
    assert missing["personUpdate"]["__typename"] == "NotFoundError"
    rows = await w["conn"].fetch(
        "SELECT subject, (payload->>'aggregate_version')::int AS v FROM outbox"
        " WHERE payload->>'aggregate_id' = ANY($1::text[]) ORDER BY seq",
        [unit, person],
    )
    assert [(r["subject"], r["v"]) for r in rows] == [
        ("tasks.unit.upserted", 1),
        ("tasks.unit.upserted", 2),
        ("tasks.person.upserted", 1),
        ("tasks.person.upserted", 2),
    ]
    r = await w["client"](doc, {"i": {"id": person, "mobile": "13800000000"}})
    read = (
        'query ($id: ID!) { _entities(representations: [{__typename: "Person", id: $id}])'
        " { ... on Person { mobile } } }"
    )
    assert (await w["client"](read, {"id": person}))["_entities"] == [{"mobile": "13800000000"}]
    hidden = await w["lead_unit"](read, {"id": person})
    assert hidden["_entities"] == [{"mobile": None}]
    forbidden = await w["lead_unit"].raw(doc, {"i": {"id": person, "name": "x"}})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_concurrent_duplicate_reports_land_once(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    await call(w["lead_unit"], "assignmentSign", itemId=item, unitId=w["lead"])
    args = {"itemId": item, "unitId": w["lead"], "percent": 20, "narrative": "并发提交"}
    results = await asyncio.gather(
        *(
            call(w["lead_unit"], "itemReportProgress", idempotencyKey="same", **args)
            for _ in range(4)
        )
    )
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["ConflictError"] * 3 + ["ItemReportProgressSuccess"]
    n = await w["conn"].fetchval(
        "SELECT count(*) FROM progress_reports WHERE item_id = $1", uuid.UUID(item)
    )
    assert n == 1
