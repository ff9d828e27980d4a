"""The office's moves through the tasks subgraph: edit, transfer, deadline re-set,
instruction on behalf (in-process, real PostgreSQL)."""

from __future__ import annotations

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
        other_head = await make_person(client, other, "周书记", ["UNIT_HEAD"])
        leader = await make_person(client, None, "孙区长", ["LEADER"])
        leader2 = await make_person(client, None, "钱副区长", ["LEADER"])
        owner = await make_person(client, lead, "赵科长", ["CADRE"])
        owner2 = await make_person(client, lead, "钱科员", ["CADRE"])
        conn = await connect(settings.require_database_url(), "tasks")
        w = {
            "client": client,
            "conn": conn,
            "settings": settings,
            "lead": lead,
            "co": co,
            "other": other,
            "owner": owner,
            "owner2": owner2,
            "leader": leader,
            "leader2": leader2,
            "lead_unit": client.as_(
                token(settings, "UNIT_SUPERVISOR", subject=supervisor, units=[lead])
            ),
            "other_unit": client.as_(
                token(settings, "UNIT_HEAD", subject=other_head, units=[other])
            ),
            "leader_client": client.as_(token(settings, "LEADER", subject=leader)),
            "leader2_client": client.as_(token(settings, "LEADER", subject=leader2)),
        }
        try:
            yield w
        finally:
            await conn.close()


async def new_item(w: dict[str, Any], **overrides: Any) -> str:
    fields = {
        "coUnitIds": [w["co"]],
        "ownerIds": [w["owner"]],
        "responsibleLeaderId": w["leader"],
        "startDate": (TODAY - timedelta(days=30)).isoformat(),
        "deadline": (TODAY + timedelta(days=60)).isoformat(),
        **overrides,
    }
    return await make_item(w["client"], w["lead"], **fields)


async def detail(w: dict[str, Any], item: str) -> dict[str, Any]:
    return (await w["client"](DETAIL, {"id": item}))["item"]  # type: ignore[no-any-return]


async def last_event(conn: asyncpg.Connection, item: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT subject, payload FROM outbox WHERE payload->>'aggregate_id' = $1"
        " ORDER BY seq DESC LIMIT 1",
        item,
    )
    return {"subject": row["subject"], **row["payload"]}


def unit_client(w: dict[str, Any], unit: str) -> Any:
    bearer = token(w["settings"], "UNIT_SUPERVISOR", subject=str(uuid.uuid4()), units=[unit])
    return w["client"].as_(bearer)


def assignment(item: dict[str, Any], unit: str) -> dict[str, Any]:
    return next(a for a in item["assignments"] if a["unitId"] == unit)


async def test_edit_changes_fields_with_before_after_and_one_event(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    before = await detail(w, item)
    r = await call(
        w["client"],
        "itemUpdate",
        itemId=item,
        title="推进老旧小区改造(二期)",
        ownerIds=[w["owner2"]],
        responsibleLeaderId=w["leader2"],
        reportingCycle="MONTHLY",
        sourceDocumentNo="区委办〔2018〕12号",
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    assert r["item"]["version"] == before["version"] + 1
    ev = await last_event(w["conn"], item)
    assert ev["subject"] == "tasks.item.updated"
    data = ev["data"]
    assert set(data["detail"]["changed_fields"]) == {
        "title",
        "owner_ids",
        "responsible_leader_id",
        "reporting_cycle",
        "source_document_no",
    }
    assert data["detail"]["added_owner_ids"] == [w["owner2"]]
    assert data["detail"]["removed_owner_ids"] == [w["owner"]]
    assert data["item"]["owner_ids"] == [w["owner2"]]
    assert data["item"]["reporting_cycle"] == "MONTHLY"
    entry = [e for e in (await detail(w, item))["auditTrail"] if e["action"] == "item.updated"]
    assert len(entry) == 1
    assert entry[0]["before"]["title"] == "推进老旧小区改造"
    assert entry[0]["after"]["title"] == "推进老旧小区改造(二期)"
    assert entry[0]["before"]["owner_ids"] == [w["owner"]]
    # nothing to change: a typed error, no new version
    same = await call(w["client"], "itemUpdate", itemId=item, title="推进老旧小区改造(二期)")
    assert same["__typename"] == "ValidationError"


async def test_edit_co_units_adds_assignment_and_withdraws_reported_only_with_reason(
    world: dict[str, Any],
) -> None:
    w = world
    item = await new_item(w)
    co_client = unit_client(w, w["co"])
    await call(co_client, "assignmentSign", itemId=item, unitId=w["co"])
    await call(
        co_client, "itemReportProgress", itemId=item, unitId=w["co"], percent=20, narrative="推进"
    )
    refused = await call(w["client"], "itemUpdate", itemId=item, coUnitIds=[w["other"]])
    assert refused["__typename"] == "ValidationError" and refused["field"] == "reason"
    r = await call(
        w["client"], "itemUpdate", itemId=item, coUnitIds=[w["other"]], reason="职责调整"
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    got = r["item"]
    assert assignment(got, w["other"])["state"] == "ASSIGNED"
    old = assignment(got, w["co"])
    assert old["state"] == "WITHDRAWN" and old["endedReason"] == "职责调整"
    assert old["percent"] == 20  # history kept
    reports = (await detail(w, item))["reports"]
    assert [x["unitId"] for x in reports] == [w["co"]]
    # the withdrawn unit may no longer act on the item
    body = await co_client.raw(
        "mutation ($i: ItemReportProgressInput!) { itemReportProgress(input: $i) { __typename } }",
        {"i": {"itemId": item, "unitId": w["co"], "percent": 30, "narrative": "x"}},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the new co-unit sees it and must sign for it
    r = await call(w["other_unit"], "assignmentSign", itemId=item, unitId=w["other"])
    assert r["__typename"] == "ItemChangeSuccess", r


async def test_transfer_after_return_keeps_history_and_new_unit_must_sign(
    world: dict[str, Any],
) -> None:
    w = world
    item = await new_item(w)
    r = await call(
        w["lead_unit"], "assignmentReturn", itemId=item, unitId=w["lead"], reason="不属于本单位职责"
    )
    assert r["__typename"] == "ItemChangeSuccess", r
    no_reason = await call(
        w["client"],
        "itemTransfer",
        itemId=item,
        fromUnitId=w["lead"],
        toUnitId=w["other"],
        reason="",
    )
    assert no_reason["__typename"] == "ValidationError"
    onto_co = await call(
        w["client"], "itemTransfer", itemId=item, fromUnitId=w["lead"], toUnitId=w["co"], reason="x"
    )
    assert onto_co["__typename"] == "ValidationError" and onto_co["field"] == "toUnitId"
    r = await call(
        w["client"],
        "itemTransfer",
        itemId=item,
        fromUnitId=w["lead"],
        toUnitId=w["other"],
        reason="经核实属西城街道职责",
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    got = r["item"]
    old = assignment(got, w["lead"])
    assert old["state"] == "TRANSFERRED" and old["transferredToUnitId"] == w["other"]
    assert old["returnedReason"] == "不属于本单位职责"
    new = assignment(got, w["other"])
    assert new["role"] == "LEAD" and new["state"] == "ASSIGNED"
    ev = await last_event(w["conn"], item)
    assert ev["subject"] == "tasks.item.transferred"
    assert ev["data"]["item"]["lead_unit_id"] == w["other"]
    assert ev["data"]["detail"]["from_unit_id"] == w["lead"]
    # the old unit no longer acts; the new one signs
    body = await w["lead_unit"].raw(
        "mutation ($i: AssignmentInput!) { assignmentSign(input: $i) { __typename } }",
        {"i": {"itemId": item, "unitId": w["lead"]}},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    r = await call(w["other_unit"], "assignmentSign", itemId=item, unitId=w["other"])
    assert r["__typename"] == "ItemChangeSuccess", r
    trail = [e["action"] for e in (await detail(w, item))["auditTrail"]]
    assert trail.count("assignment.transferred") == 1
    assert trail.index("assignment.returned") < trail.index("assignment.transferred")


async def test_transfer_refused_once_the_lead_unit_has_reported(world: dict[str, Any]) -> None:
    w = world
    item = await new_item(w)
    # before any report: allowed for a co-assignment without a return
    r = await call(
        w["client"],
        "itemTransfer",
        itemId=item,
        fromUnitId=w["co"],
        toUnitId=w["other"],
        reason="调整",
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    assert r["item"]["state"] == "ASSIGNED"
    await call(w["lead_unit"], "assignmentSign", itemId=item, unitId=w["lead"])
    await call(
        w["lead_unit"],
        "itemReportProgress",
        itemId=item,
        unitId=w["lead"],
        percent=10,
        narrative="启动",
    )
    refused = await call(
        w["client"], "itemTransfer", itemId=item, fromUnitId=w["lead"], toUnitId=w["co"], reason="x"
    )
    assert refused["__typename"] == "InvalidTransitionError", refused


async def test_deadline_reset_on_an_overdue_item_keeps_the_original(world: dict[str, Any]) -> None:
    w = world
    start = TODAY - timedelta(days=90)
    due = TODAY - timedelta(days=10)
    item = await new_item(w, startDate=start.isoformat(), deadline=due.isoformat())
    new = TODAY + timedelta(days=20)
    no_leader = await call(
        w["client"],
        "itemDeadlineReset",
        itemId=item,
        newDeadline=new.isoformat(),
        reason="区政府常务会议决定",
        leaderId=w["owner"],
    )
    assert no_leader["__typename"] == "ValidationError" and no_leader["field"] == "leaderId"
    r = await call(
        w["client"],
        "itemDeadlineReset",
        itemId=item,
        newDeadline=new.isoformat(),
        reason="区政府常务会议决定",
        leaderId=w["leader"],
    )
    assert r["__typename"] == "ItemDeadlineResetSuccess", r
    assert r["item"]["deadline"] == new.isoformat()
    assert r["item"]["originalDeadline"] == due.isoformat()
    assert r["deadlineReset"]["oldDeadline"] == due.isoformat()
    ev = await last_event(w["conn"], item)
    assert ev["subject"] == "tasks.item.deadline_reset"
    assert ev["data"]["detail"]["overdue"] is True
    assert ev["data"]["detail"]["leader_id"] == w["leader"]
    got = await detail(w, item)
    assert got["deadlineResets"][0]["reason"] == "区政府常务会议决定"
    entry = next(e for e in got["auditTrail"] if e["action"] == "item.deadline_reset")
    assert entry["before"] == {"deadline": due.isoformat()}
    assert entry["after"]["original_deadline"] == due.isoformat()
    same = await call(
        w["client"],
        "itemDeadlineReset",
        itemId=item,
        newDeadline=new.isoformat(),
        reason="再次",
        leaderId=w["leader"],
    )
    assert same["__typename"] == "ValidationError"
    await call(w["client"], "itemCancel", itemId=item, reason="撤销")
    closed = await call(
        w["client"],
        "itemDeadlineReset",
        itemId=item,
        newDeadline=(new + timedelta(days=1)).isoformat(),
        reason="再次",
        leaderId=w["leader"],
    )
    assert closed["__typename"] == "InvalidTransitionError"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_instruction_on_behalf_names_both_and_the_leader_confirms(
    world: dict[str, Any],
) -> None:
    import base64

    w = world
    item = await new_item(w)
    r = await call(
        w["client"],
        "instructionRecord",
        itemId=item,
        leaderId=w["leader"],
        content="请住建局牵头，月底前拿出方案。",
        instructedOn=(TODAY - timedelta(days=1)).isoformat(),
        scan={
            "name": "批示.png",
            "contentType": "image/png",
            "base64": base64.b64encode(PNG).decode(),
        },
    )
    assert r["__typename"] == "InstructionSuccess", r
    instruction = r["instruction"]
    assert instruction["leaderId"] == w["leader"] and instruction["enteredBy"]
    too_big = await call(
        w["client"],
        "instructionRecord",
        itemId=item,
        leaderId=w["leader"],
        content="x",
        instructedOn=TODAY.isoformat(),
        scan={
            "name": "a.pdf",
            "contentType": "application/pdf",
            "base64": base64.b64encode(b"x" * (2 * 1024 * 1024 + 1)).decode(),
        },
    )
    assert too_big["__typename"] == "ValidationError" and too_big["field"] == "scan"
    entry = next(
        e for e in (await detail(w, item))["auditTrail"] if e["action"] == "instruction.recorded"
    )
    assert entry["after"]["leader_id"] == w["leader"]
    assert entry["after"]["entered_by"] == entry["actorId"]
    assert entry["after"]["scan"]["size"] == len(PNG)
    mine = await w["leader_client"](
        "{ myInstructions(unconfirmedOnly: true) { id itemId enteredBy } }"
    )
    assert instruction["id"] in [i["id"] for i in mine["myInstructions"]]
    other = await w["leader2_client"].raw(
        "mutation ($i: InstructionConfirmInput!) { instructionConfirm(input: $i) { __typename } }",
        {"i": {"instructionId": instruction["id"]}},
    )
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ok = await call(w["leader_client"], "instructionConfirm", instructionId=instruction["id"])
    assert ok["__typename"] == "InstructionSuccess" and ok["instruction"]["confirmedAt"]
    again = await call(w["leader_client"], "instructionConfirm", instructionId=instruction["id"])
    assert again["__typename"] == "ConflictError"
    ev = await last_event(w["conn"], item)
    assert ev["subject"] == "tasks.item.instruction_confirmed"
    mine = await w["leader_client"]("{ myInstructions(unconfirmedOnly: true) { id } }")
    assert instruction["id"] not in [i["id"] for i in mine["myInstructions"]]
