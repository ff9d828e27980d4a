"""Who may issue and sign notices and import ledgers: every role, in and out of scope.

Fails if any forbidden combination succeeds or any allowed one is refused.
"""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from openpyxl import Workbook

from services.core.clock import today as district_today
from services.core.db import connect
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, running_service, token
from tests.tasks.support import make_item, make_person, make_unit


@dataclass(frozen=True)
class Actor:
    name: str
    roles: tuple[str, ...]
    person: str  # key into the world: whose id is the token's subject
    units: str  # "lead", "other" or "none"
    ops: tuple[str, ...] = ()


ACTORS = [
    Actor("office", ("SUPERVISION_OFFICE",), "officer", "none"),
    Actor("leader", ("LEADER",), "leader", "none"),
    Actor("head-in-scope", ("UNIT_HEAD",), "head", "lead"),
    Actor("head-out-of-scope", ("UNIT_HEAD",), "outsider", "other"),
    Actor("supervisor-in-scope", ("UNIT_SUPERVISOR",), "supervisor", "lead"),
    Actor("supervisor-out-of-scope", ("UNIT_SUPERVISOR",), "outsider", "other"),
    Actor("owner-cadre", ("CADRE",), "owner", "lead"),
    Actor("other-cadre", ("CADRE",), "outsider", "other"),
    Actor(
        "integration-in-scope",
        ("INTEGRATION",),
        "robot",
        "lead",
        ("NOTICE_ISSUE", "ITEM_CREATE", "ORGANISATION_MANAGE"),
    ),
    Actor("integration-out-of-scope", ("INTEGRATION",), "robot", "other", ("NOTICE_ISSUE",)),
]

# mutation -> actors allowed (by name); everyone else must be refused
ALLOWED = {
    "noticeIssue": {"office"},
    "noticeAcknowledge": {"head-in-scope", "owner-cadre"},  # the recipients
    "ledgerImportItems": {"office"},
    "organisationImport": {"office"},
}


def xlsx_b64(sheets: dict[str, list[list[Any]]]) -> str:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return base64.b64encode(out.getvalue()).decode()


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (_app, client):
        lead_name = f"东城街道{uuid.uuid4().hex[:4]}"
        lead = await make_unit(client, lead_name)
        other = await make_unit(client)
        w: dict[str, Any] = {
            "client": client,
            "settings": settings,
            "lead": lead,
            "lead_name": lead_name,
            "other": other,
            "none": None,
            "officer": str(uuid.uuid4()),
            "robot": "integration-robot",
            "leader": await make_person(client, None, "孙区长", ["LEADER"]),
            "head": await make_person(client, lead, "王书记", ["UNIT_HEAD"]),
            "supervisor": await make_person(client, lead, "李督查", ["UNIT_SUPERVISOR"]),
            "owner": await make_person(client, lead, "赵科长", ["CADRE"]),
            "outsider": await make_person(client, other, "周书记", ["UNIT_HEAD"]),
        }
        w["item"] = await make_item(client, lead, ownerIds=[w["owner"]])
        yield w


def client_for(w: dict[str, Any], actor: Actor) -> GraphQLClient:
    units = [w[actor.units]] if w[actor.units] else []
    bearer = token(w["settings"], *actor.roles, subject=w[actor.person], units=units,
                   ops=list(actor.ops))  # fmt: skip
    client: GraphQLClient = w["client"]
    return client.as_(bearer)


async def _issue(w: dict[str, Any], client: GraphQLClient) -> dict[str, Any]:
    return await client.raw(
        "mutation ($i: NoticeIssueInput!) { noticeIssue(input: $i) { __typename"
        " ... on NoticeIssueSuccess { notice { id } } } }",
        {
            "i": {
                "itemId": w["item"],
                "recipients": [
                    {"personId": w["head"], "role": "UNIT_HEAD"},
                    {"personId": w["owner"], "role": "OWNER"},
                ],
                "responseDeadline": (district_today() + timedelta(days=3)).isoformat(),
            }
        },
    )


async def _attempt(w: dict[str, Any], mutation: str, client: GraphQLClient) -> dict[str, Any]:
    if mutation == "noticeIssue":
        return await _issue(w, client)
    if mutation == "noticeAcknowledge":
        issued = await _issue(w, w["client"])  # a fresh notice from the office
        notice = issued["data"]["noticeIssue"]["notice"]["id"]
        return await client.raw(
            "mutation ($n: ID!) { noticeAcknowledge(input: {noticeId: $n}) { __typename } }",
            {"n": notice},
        )
    if mutation == "ledgerImportItems":
        rows = [["事项名称", "事项来源", "开始日期", "办理时限", "牵头单位"],
                ["导入权限测试", "其他", "2018-01-01", "2018-12-31", w["lead_name"]]]  # fmt: skip
        return await client.raw(
            "mutation ($f: String!) { ledgerImportItems(input: {contentBase64: $f}) {"
            " __typename } }",
            {"f": xlsx_b64({"督办事项": rows})},
        )
    code = uuid.uuid4().hex[:8]
    return await client.raw(
        "mutation ($f: String!) { organisationImport(input: {contentBase64: $f}) { __typename } }",
        {"f": xlsx_b64({"单位": [["单位编码", "单位名称", "单位类型"], [code, code, "乡镇"]]})},
    )


async def _counts(w: dict[str, Any]) -> tuple[int, ...]:
    conn = await connect(w["settings"].require_database_url(), "tasks")
    try:
        return tuple(
            [
                await conn.fetchval(f"SELECT count(*) FROM {table}")
                for table in ("notices", "items", "units", "audit_log")
            ]
            + [
                await conn.fetchval(
                    "SELECT count(*) FROM notice_recipients WHERE acknowledged_at IS NOT NULL"
                )
            ]
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("mutation", sorted(ALLOWED))
@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.name)
async def test_mutation_matrix(world: dict[str, Any], actor: Actor, mutation: str) -> None:
    client = client_for(world, actor)
    allowed = actor.name in ALLOWED[mutation]
    if not allowed and mutation != "noticeAcknowledge":
        before = await _counts(world)
    body = await _attempt(world, mutation, client)
    if allowed:
        assert not body.get("errors"), (actor.name, mutation, body)
        assert body["data"][mutation]["__typename"].endswith("Success"), body
    else:
        assert body.get("errors"), (actor.name, mutation, body)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        if mutation != "noticeAcknowledge":
            assert await _counts(world) == before
