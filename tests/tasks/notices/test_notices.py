"""Supervision notices (督查通知单): issue, number, acknowledge, print, refuse bad input."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import docx
import pytest_asyncio

from services.core.clock import today as district_today
from services.core.db import connect
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, running_service, token
from tests.tasks.support import make_item, make_person, make_unit

ISSUE = """
mutation ($i: NoticeIssueInput!) {
  noticeIssue(input: $i) {
    __typename
    ... on NoticeIssueSuccess {
      notice { id code year number responseDeadline content
               recipients { personId role acknowledgedAt person { name } } }
    }
    ... on UserError { code message field }
    ... on InvalidTransitionError { currentState }
  }
}"""

ACK = """
mutation ($i: NoticeAcknowledgeInput!) {
  noticeAcknowledge(input: $i) {
    __typename
    ... on NoticeAcknowledgeSuccess { recipient { personId acknowledgedAt note } }
    ... on UserError { code message }
  }
}"""

# the district's date (Asia/Shanghai), as the services see it: the machine's UTC date
# is the day before for eight hours of every day
TODAY = district_today()


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (_app, client):
        lead = await make_unit(client, "东城街道")
        co = await make_unit(client, "区住建局", "DEPARTMENT")
        other = await make_unit(client, "西城街道")
        head = await make_person(client, lead, "王书记", ["UNIT_HEAD"])
        supervisor = await make_person(client, co, "李督查", ["UNIT_SUPERVISOR"])
        owner = await make_person(client, lead, "赵科长", ["CADRE"])
        leader = await make_person(client, None, "孙区长", ["LEADER"])
        outsider = await make_person(client, other, "周书记", ["UNIT_HEAD"])
        item = await make_item(
            client,
            lead,
            title="背街小巷环境整治",
            coUnitIds=[co],
            ownerIds=[owner],
            responsibleLeaderId=leader,
        )
        conn = await connect(settings.require_database_url(), "tasks")
        try:
            yield {
                "client": client,
                "conn": conn,
                "settings": settings,
                "lead": lead,
                "co": co,
                "other": other,
                "head": head,
                "supervisor": supervisor,
                "owner": owner,
                "leader": leader,
                "outsider": outsider,
                "item": item,
            }
        finally:
            await conn.close()


def recipients(w: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"personId": w["head"], "role": "UNIT_HEAD"},
        {"personId": w["leader"], "role": "RESPONSIBLE_LEADER"},
        {"personId": w["owner"], "role": "OWNER"},
        {"personId": w["supervisor"], "role": "UNIT_SUPERVISOR"},
    ]


def as_person(w: dict[str, Any], person: str, role: str, unit: str | None = None) -> GraphQLClient:
    client: GraphQLClient = w["client"]
    return client.as_(token(w["settings"], role, subject=person, units=[unit] if unit else []))


async def issue(w: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = await w["client"](
        ISSUE,
        {
            "i": {
                "itemId": w["item"],
                "recipients": recipients(w),
                "responseDeadline": (TODAY + timedelta(days=5)).isoformat(),
                **overrides,
            }
        },
    )
    return data["noticeIssue"]  # type: ignore[no-any-return]


async def test_notices_are_numbered_gap_free_per_year_and_emit_an_event(
    world: dict[str, Any],
) -> None:
    conn: asyncpg.Connection = world["conn"]
    version_before = await conn.fetchval(
        "SELECT version FROM items WHERE id = $1", uuid.UUID(world["item"])
    )
    first = await issue(world)
    second = await issue(world, content="请于本周内报送整改方案。")
    assert first["__typename"] == "NoticeIssueSuccess", first
    n1, n2 = first["notice"], second["notice"]
    assert n1["code"] == f"督查通知〔{TODAY.year}〕第{n1['number']}号"
    assert n2["number"] == n1["number"] + 1
    assert "背街小巷环境整治" in n1["content"] and n2["content"] == "请于本周内报送整改方案。"
    assert [r["role"] for r in n1["recipients"]] == [
        "UNIT_HEAD",
        "RESPONSIBLE_LEADER",
        "OWNER",
        "UNIT_SUPERVISOR",
    ]
    assert n1["recipients"][0]["person"]["name"] == "王书记"
    assert all(r["acknowledgedAt"] is None for r in n1["recipients"])

    version = await conn.fetchval(
        "SELECT version FROM items WHERE id = $1", uuid.UUID(world["item"])
    )
    assert version == version_before + 2
    events = await conn.fetch(
        "SELECT payload FROM outbox WHERE subject = 'tasks.item.notice_issued' ORDER BY seq"
    )
    payload = events[-1]["payload"]
    assert payload["aggregate_id"] == world["item"] and payload["aggregate_version"] == version
    assert payload["data"]["item"]["id"] == world["item"]
    assert payload["data"]["detail"]["code"] == n2["code"]
    assert {r["role"] for r in payload["data"]["detail"]["recipients"]} >= {"OWNER"}
    audit = await conn.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'notice.issued' AND subject_id = $1",
        n1["id"],
    )
    assert audit == 1


async def test_each_recipient_acknowledges_once(world: dict[str, Any]) -> None:
    notice = (await issue(world))["notice"]
    owner = as_person(world, world["owner"], "CADRE", world["lead"])
    done = await owner(ACK, {"i": {"noticeId": notice["id"], "note": "已收到，立即整改"}})
    ack = done["noticeAcknowledge"]
    assert ack["__typename"] == "NoticeAcknowledgeSuccess"
    assert ack["recipient"]["personId"] == world["owner"] and ack["recipient"]["acknowledgedAt"]

    again = (await owner(ACK, {"i": {"noticeId": notice["id"]}}))["noticeAcknowledge"]
    assert again["__typename"] == "ConflictError"
    # one event per acknowledgement, for reminders, scores and other departments
    events = await world["conn"].fetch(
        "SELECT payload FROM outbox WHERE subject = 'tasks.notice.acknowledged'"
        " AND payload->>'aggregate_id' = $1",
        notice["id"],
    )
    assert len(events) == 1
    data = events[0]["payload"]["data"]
    assert data["person_id"] == world["owner"] and data["remaining"] >= 1
    # the item's units, so a unit-scoped department's system receives it (issue 14)
    assert data["unit_ids"] == sorted([world["lead"], world["co"]])

    outsider = as_person(world, world["outsider"], "UNIT_HEAD", world["other"])
    refused = await outsider.raw(ACK, {"i": {"noticeId": notice["id"]}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    seen = await world["client"](
        "query ($id: ID!) { notice(id: $id) { recipients { personId acknowledgedAt note } } }",
        {"id": notice["id"]},
    )
    by_person = {r["personId"]: r for r in seen["notice"]["recipients"]}
    assert by_person[world["owner"]]["note"] == "已收到，立即整改"
    assert by_person[world["head"]]["acknowledgedAt"] is None

    mine = await owner("{ myNotices(pendingOnly: true) { id } }")
    assert notice["id"] not in {n["id"] for n in mine["myNotices"]}
    head = as_person(world, world["head"], "UNIT_HEAD", world["lead"])
    pending = await head("{ myNotices(pendingOnly: true) { id } }")
    assert notice["id"] in {n["id"] for n in pending["myNotices"]}


async def test_notices_are_visible_only_to_who_sees_the_item(world: dict[str, Any]) -> None:
    notice = (await issue(world))["notice"]
    query = (
        "query ($id: ID!, $item: ID!) { notice(id: $id) { code } notices(itemId: $item) { id } }"
    )
    outsider = as_person(world, world["outsider"], "UNIT_HEAD", world["other"])
    hidden = await outsider(query, {"id": notice["id"], "item": world["item"]})
    assert hidden == {"notice": None, "notices": []}
    head = as_person(world, world["head"], "UNIT_HEAD", world["lead"])
    seen = await head(query, {"id": notice["id"], "item": world["item"]})
    assert seen["notice"]["code"] == notice["code"]
    assert notice["id"] in {n["id"] for n in seen["notices"]}
    detail = await head(
        "query ($item: ID!) { item(id: $item) { notices { id code recipients { role } } } }",
        {"item": world["item"]},
    )
    in_detail = {n["id"]: n for n in detail["item"]["notices"]}
    assert in_detail[notice["id"]]["code"] == notice["code"]
    assert {r["role"] for r in in_detail[notice["id"]]["recipients"]} == {
        "UNIT_HEAD",
        "RESPONSIBLE_LEADER",
        "OWNER",
        "UNIT_SUPERVISOR",
    }
    hidden_item = await outsider(
        "query ($item: ID!) { item(id: $item) { id } }", {"item": world["item"]}
    )
    assert hidden_item == {"item": None}


async def test_the_printable_notice_is_a_chinese_docx(world: dict[str, Any]) -> None:
    notice = (await issue(world))["notice"]
    data = await world["client"](
        "query ($id: ID!) { noticeDocument(id: $id) { fileName mimeType contentBase64 } }",
        {"id": notice["id"]},
    )
    file = data["noticeDocument"]
    assert file["fileName"].endswith(".docx") and "wordprocessingml" in file["mimeType"]
    document = docx.Document(io.BytesIO(base64.b64decode(file["contentBase64"])))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "督 查 通 知 单" in text and notice["code"] in text
    assert "背街小巷环境整治" in cells and "东城街道" in cells and "区住建局" in cells
    assert "王书记" in cells and "未签收" in cells
    outsider = as_person(world, world["outsider"], "UNIT_HEAD", world["other"])
    assert (
        await outsider(
            "query ($id: ID!) { noticeDocument(id: $id) { fileName } }", {"id": notice["id"]}
        )
    )["noticeDocument"] is None


async def test_bad_input_is_a_typed_error_and_changes_nothing(world: dict[str, Any]) -> None:
    conn: asyncpg.Connection = world["conn"]
    count = await conn.fetchval("SELECT count(*) FROM notices")
    counter = await conn.fetchval("SELECT last FROM notice_counters WHERE year = $1", TODAY.year)
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        (
            {"responseDeadline": (TODAY - timedelta(days=1)).isoformat()},
            "VALIDATION",
            "responseDeadline",
        ),
        ({"recipients": []}, "VALIDATION", "recipients"),
        ({"recipients": recipients(world)[:1] * 2}, "VALIDATION", "recipients"),
        (
            {"recipients": [{"personId": world["outsider"], "role": "OWNER"}]},
            "VALIDATION",
            "recipients",
        ),
        (
            {"recipients": [{"personId": world["outsider"], "role": "UNIT_HEAD"}]},
            "VALIDATION",
            "recipients",
        ),
        (
            {"recipients": [{"personId": world["head"], "role": "RESPONSIBLE_LEADER"}]},
            "VALIDATION",
            "recipients",
        ),
        (
            {"recipients": [{"personId": str(uuid.uuid4()), "role": "OWNER"}]},
            "VALIDATION",
            "recipients",
        ),
        ({"itemId": str(uuid.uuid4())}, "NOT_FOUND", "itemId"),
        ({"itemId": "not-a-uuid"}, "VALIDATION", "itemId"),
        ({"content": "长" * 2001}, "VALIDATION", "content"),
    ]
    for overrides, code, field in cases:
        result = await issue(world, **overrides)
        assert result.get("code") == code, (overrides, result)
        assert result.get("field") == field, (overrides, result)

    cadre = as_person(world, world["owner"], "CADRE", world["lead"])
    forbidden = await cadre.raw(
        ISSUE,
        {
            "i": {
                "itemId": world["item"],
                "recipients": recipients(world),
                "responseDeadline": TODAY.isoformat(),
            }
        },
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    closed = await make_item(world["client"], world["lead"], title="已办结事项")
    await conn.execute("UPDATE items SET state = 'COMPLETED' WHERE id = $1", uuid.UUID(closed))
    result = await issue(world, itemId=closed, recipients=recipients(world)[:1])
    assert result["__typename"] == "InvalidTransitionError"
    assert result["currentState"] == "COMPLETED"

    assert await conn.fetchval("SELECT count(*) FROM notices") == count
    assert (
        await conn.fetchval("SELECT last FROM notice_counters WHERE year = $1", TODAY.year)
        == counter
    )
