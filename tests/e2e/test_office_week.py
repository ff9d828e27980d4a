"""A week of office work through the real gateway (issue 13, "done when").

The office imports its units and people, creates an item that looks like an open one
(the duplicate warning is confirmed), edits it, the lead unit returns it, the office
transfers it, the new unit signs, the office re-sets the overdue deadline, records a
leader's instruction on the leader's behalf (the leader confirms it), re-imports a
reshuffled organisation (dry run, then apply) and issues a notice nobody acknowledges:
a working day later its recipients are reminded, three working days later the leader
and the unit head are told. Days pass by restarting the alerts process with its clock
moved forward (tests/e2e/alerts_clock.py).

Checked: one item throughout (nothing re-created), its audit trail tells the story in
order, and every text anyone received keeps the house style (the checker of the reminder
table test, tests/alerts/reminders/test_house_style.py).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio

from services.core.calendar import add_workdays
from services.core.settings import Settings
from services.stack import Stack
from tests.alerts.reminders.test_house_style import assert_house_style
from tests.e2e.test_alerts_reminders import restart_alerts, start_alerts
from tests.e2e.test_tasks_records import workbook
from tests.support.servers import GraphQLClient, running_platform, token, wait_for
from tests.tasks.lifecycle_support import call

TAG = uuid.uuid4().hex[:4]
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
EAST, WEST, SOUTH = "东关街道", "西关街道", "南关街道"
WEST_RENAMED = "西关街道办事处"
UNIT_HEAD = ["单位编码", "单位名称", "单位类型", "评价类别", "状态"]
PEOPLE_HEAD = ["人员编码", "姓名", "所属单位", "职级", "角色", "状态"]
BEFORE = {
    "单位": [
        UNIT_HEAD,
        [f"E{TAG}", EAST, "街道", None, None],
        [f"W{TAG}", WEST, "街道", None, None],
        [f"S{TAG}", SOUTH, "街道", None, None],
    ],
    "人员": [
        PEOPLE_HEAD,
        [f"L{TAG}", "周区长", None, None, "区领导", None],
        [f"H1{TAG}", "赵书记", EAST, "正科", "单位主要负责人", None],
        [f"S1{TAG}", "钱督查员", EAST, "副科", "单位督查员", None],
        [f"H2{TAG}", "孙书记", WEST, "正科", "单位主要负责人", None],
        [f"S2{TAG}", "李督查员", WEST, "副科", "单位督查员", None],
        [f"O1{TAG}", "王科长", EAST, "正科", "科级干部", None],
        [f"O2{TAG}", "吴科长", SOUTH, "正科", "科级干部", None],
    ],
}
AFTER = {
    "单位": [
        UNIT_HEAD,
        [f"E{TAG}", EAST, "街道", None, None],
        [f"W{TAG}", WEST_RENAMED, "街道", None, None],  # renamed
        [f"S{TAG}", SOUTH, "街道", None, "撤销"],  # retired
    ],
    "人员": [
        PEOPLE_HEAD,
        [f"L{TAG}", "周区长", None, None, "区领导", None],
        [f"H1{TAG}", "赵书记", EAST, "正科", "单位主要负责人", None],
        [f"S1{TAG}", "钱督查员", EAST, "副科", "单位督查员", None],
        [f"H2{TAG}", "孙书记", WEST_RENAMED, "正科", "单位主要负责人", None],
        [f"S2{TAG}", "李督查员", WEST_RENAMED, "副科", "单位督查员", None],
        [f"O1{TAG}", "王科长", WEST_RENAMED, "正科", "科级干部", None],  # moves with the item
        [f"O2{TAG}", "吴科长", SOUTH, "正科", "科级干部", "离任"],  # leaves
        [f"S3{TAG}", "郑督查员", WEST_RENAMED, "科员", "单位督查员", None],  # new
    ],
}

IMPORT = """mutation ($f: String!, $dry: Boolean!) {
  organisationImport(input: {contentBase64: $f, dryRun: $dry}) { __typename
    ... on OrganisationImportSuccess { dryRun units { id name } people { id name }
      diff { created updated retired unchanged rows { sheet code action } } }
    ... on UserError { code message field } } }"""
CREATE = """mutation ($i: ItemCreateInput!) { itemCreate(input: $i) { __typename
  ... on ItemCreateSuccess { item { id code title } }
  ... on DuplicateWarning { code duplicates { itemId reason } }
  ... on UserError { code message field } } }"""
ROBOT = """mutation ($i: UnitRobotSetInput!) { unitRobotSet(input: $i) { __typename } }"""
ITEM = """query ($id: ID!) { item(id: $id) { id code title state deadline originalDeadline
  alert { level } assignments { unitId role state } } }"""
TRAIL = """query ($id: ID!) { auditTrail(itemId: $id, first: 200) { hasMore
  entries { seq action actorId itemId } } }"""
NOTICE = """mutation ($i: NoticeIssueInput!) { noticeIssue(input: $i) { __typename
  ... on NoticeIssueSuccess { notice { id code } } ... on UserError { code message } } }"""
INBOX = """query ($p: ID!) { inbox(personId: $p, first: 200) { kind title body itemId } }"""
ITEMS = """query ($k: String!) { items(filter: {keyword: $k}, first: 50) { nodes { id } } }"""


@pytest.fixture(scope="module")
def stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(
        settings,
        services=("tasks", "evaluation"),
        start=lambda s: start_alerts(s, 0),
        OUTBOX_POLL_SECONDS="0.5",
        REMINDER_SCAN_SECONDS="1",
        DELIVERY_INTERVAL_SECONDS="0.3",
    ) as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def office(stack: Stack, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield GraphQLClient(client, stack.gateway_url, token(settings))


def days_until(workdays: int) -> int:
    """Calendar days from today until ``workdays`` working days have passed."""
    return (add_workdays(TODAY, workdays) - TODAY).days


async def import_org(office: GraphQLClient, sheets: Any, dry: bool) -> dict[str, Any]:
    data = await office(IMPORT, {"f": workbook(sheets), "dry": dry})
    result = data["organisationImport"]
    assert result["__typename"] == "OrganisationImportSuccess", result
    return result  # type: ignore[no-any-return]


async def test_a_week_of_office_work(
    stack: Stack, office: GraphQLClient, settings: Settings
) -> None:
    # --- Monday: the organisation ---------------------------------------------------
    org = await import_org(office, BEFORE, dry=False)
    unit = {u["name"]: u["id"] for u in org["units"]}
    person = {p["name"]: p["id"] for p in org["people"]}
    east, west = unit[EAST], unit[WEST]

    async def alerts_knows_everyone() -> bool:
        # a unit created after the import: once alerts knows it, it knows the import
        data = await office(ROBOT, {"i": {"unitId": marker, "wecomRobotKey": "week-marker"}})
        return data["unitRobotSet"]["__typename"] == "UnitRobotSetSuccess"

    marker = (
        await office(
            "mutation ($i: UnitCreateInput!) { unitCreate(input: $i) {"
            " ... on UnitCreateSuccess { unit { id } } } }",
            {"i": {"code": f"M{TAG}", "name": "标记单位", "kind": "OTHER", "category": "其他"}},
        )
    )["unitCreate"]["unit"]["id"]
    await wait_for(alerts_knows_everyone, timeout=60)

    def as_(role: str, name: str, unit_id: str | None = None) -> GraphQLClient:
        units = [unit_id] if unit_id else []
        return office.as_(token(settings, role, subject=person[name], units=units))

    east_sup = as_("UNIT_SUPERVISOR", "钱督查员", east)
    west_sup = as_("UNIT_SUPERVISOR", "李督查员", west)
    leader = as_("LEADER", "周区长")

    # an open item is already on the books for the east street
    first = await office(
        CREATE,
        {
            "i": {
                "title": "老旧小区供水管网改造工程",
                "leadUnitId": east,
                "startDate": (TODAY - timedelta(days=30)).isoformat(),
                "deadline": (TODAY + timedelta(days=90)).isoformat(),
            }
        },
    )
    assert first["itemCreate"]["__typename"] == "ItemCreateSuccess", first
    other_id = first["itemCreate"]["item"]["id"]
    other_code = first["itemCreate"]["item"]["code"]

    # create: the same matter handed down again is flagged; the office confirms
    overdue = TODAY - timedelta(days=5)
    new_item = {
        "title": "老旧小区供水管网改造",
        "leadUnitId": east,
        "ownerIds": [person["王科长"]],
        "responsibleLeaderId": person["周区长"],
        "startDate": (TODAY - timedelta(days=60)).isoformat(),
        "deadline": overdue.isoformat(),
    }
    warned = (await office(CREATE, {"i": new_item}))["itemCreate"]
    assert warned["__typename"] == "DuplicateWarning", warned
    assert warned["code"] == "DUPLICATE_SUSPECTED"
    assert [d["itemId"] for d in warned["duplicates"]] == [other_id]
    created = (await office(CREATE, {"i": {**new_item, "confirmDuplicate": True}}))["itemCreate"]
    assert created["__typename"] == "ItemCreateSuccess", created
    item_id, code = created["item"]["id"], created["item"]["code"]
    title = "老旧小区供水管网改造（二期）"
    seen_ids = [item_id]

    async def level() -> str | None:
        alert = (await office(ITEM, {"id": item_id}))["item"]["alert"]
        return alert["level"] if alert else None

    async def level_is(want: str) -> bool:
        return await level() == want

    await wait_for(lambda: level_is("RED"), timeout=60)  # past its deadline

    # edit: a clearer title and content
    r = await call(
        office,
        "itemUpdate",
        itemId=item_id,
        title=title,
        content="对辖区内老旧小区供水管网分两期改造，本期完成剩余小区。",
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    seen_ids.append(r["item"]["id"])

    # the east street returns it: not its responsibility
    r = await call(
        east_sup, "assignmentReturn", itemId=item_id, unitId=east, reason="管网产权属西关街道"
    )
    assert r["__typename"] == "ItemChangeSuccess", r
    seen_ids.append(r["item"]["id"])

    # transfer after the return; the west street signs for it
    r = await call(
        office,
        "itemTransfer",
        itemId=item_id,
        fromUnitId=east,
        toUnitId=west,
        reason="经核实属西关街道辖区",
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    seen_ids.append(r["item"]["id"])
    r = await call(west_sup, "assignmentSign", itemId=item_id, unitId=west)
    assert r["__typename"] == "ItemChangeSuccess", r
    seen_ids.append(r["item"]["id"])
    lead = {a["unitId"]: a["state"] for a in r["item"]["assignments"] if a["role"] == "LEAD"}
    assert lead == {east: "TRANSFERRED", west: "SIGNED"}, r  # the old unit stays in history

    # re-set the overdue deadline on the leader's word; the colour follows at once
    new_deadline = add_workdays(TODAY, 10)
    r = await call(
        office,
        "itemDeadlineReset",
        itemId=item_id,
        newDeadline=new_deadline.isoformat(),
        reason="区政府专题会议同意调整",
        leaderId=person["周区长"],
    )
    assert r["__typename"] == "ItemDeadlineResetSuccess", r
    seen_ids.append(r["item"]["id"])
    assert r["item"]["originalDeadline"] == overdue.isoformat()
    await wait_for(lambda: _not_red(level), timeout=60)

    # the leader's written instruction, entered by the office; the leader confirms it
    r = await call(
        office,
        "instructionRecord",
        itemId=item_id,
        leaderId=person["周区长"],
        content="请西关街道倒排工期，年底前完成。",
        instructedOn=TODAY.isoformat(),
    )
    assert r["__typename"] == "InstructionSuccess", r
    assert r["instruction"]["leaderId"] == person["周区长"] and r["instruction"]["enteredBy"]
    seen_ids.append(r["item"]["id"])
    r = await call(leader, "instructionConfirm", instructionId=r["instruction"]["id"])
    assert r["__typename"] == "InstructionSuccess", r

    # re-import the reshuffled organisation: the dry run changes nothing, then apply
    dry = await import_org(office, AFTER, dry=True)
    diff = dry["diff"]
    assert (diff["created"], diff["updated"], diff["retired"], diff["unchanged"]) == (1, 2, 2, 6)
    actions = {(row["sheet"], row["code"]): row["action"] for row in diff["rows"]}
    assert actions[("单位", f"W{TAG}")] == "UPDATED"
    assert actions[("人员", f"O1{TAG}")] == "UPDATED"
    assert actions[("人员", f"O2{TAG}")] == "RETIRED"
    assert dry["units"] == [] and dry["people"] == []
    applied = await import_org(office, AFTER, dry=False)
    moved = {p["name"]: p["id"] for p in applied["people"]}
    assert moved["王科长"] == person["王科长"]  # the same person: the file stays
    assert {u["name"]: u["id"] for u in applied["units"]}[WEST_RENAMED] == west

    # a notice to the west street's supervisor and the owner; nobody acknowledges it
    notice = (
        await office(
            NOTICE,
            {
                "i": {
                    "itemId": item_id,
                    "responseDeadline": add_workdays(TODAY, 2).isoformat(),
                    "recipients": [
                        {"personId": person["李督查员"], "role": "UNIT_SUPERVISOR"},
                        {"personId": person["王科长"], "role": "OWNER"},
                    ],
                }
            },
        )
    )["noticeIssue"]
    assert notice["__typename"] == "NoticeIssueSuccess", notice
    notice_code = notice["notice"]["code"]

    async def inbox(name: str) -> list[dict[str, Any]]:
        data = await office(INBOX, {"p": person[name]})
        return [n for n in data["inbox"] if n["itemId"] == item_id]

    async def got(name: str, kind: str) -> list[dict[str, Any]]:
        return [n for n in await inbox(name) if n["kind"] == kind]

    # the alerts side knows the renamed unit before the days pass
    async def renamed() -> bool:
        data = await office("{ units { id name } }")
        return any(u["id"] == west and u["name"] == WEST_RENAMED for u in data["units"])

    await wait_for(renamed, timeout=30)

    # --- a working day later: the recipients are reminded (not the leader) ------------
    alerts_proc = next(p for p in stack.procs if "tests.e2e.alerts_clock" in list(p.args))  # type: ignore[arg-type]
    restart_alerts(stack, alerts_proc, days_until(1))
    reminded = await wait_for(lambda: _all(got, ["李督查员", "王科长"], "NOTICE_UNACKED"), 60)
    for texts in reminded:
        [text] = texts
        assert text["body"].startswith(f"【督查提醒】{WEST_RENAMED}：{code}“{title}”"), text
        assert notice_code in text["body"]
    assert not await got("周区长", "NOTICE_ESCALATION")

    # --- three working days after the notice: the leader and the unit head hear of it --
    alerts_proc = next(p for p in stack.procs if "tests.e2e.alerts_clock" in list(p.args))  # type: ignore[arg-type]
    restart_alerts(stack, alerts_proc, days_until(3))
    escalated = await wait_for(lambda: _all(got, ["周区长", "孙书记"], "NOTICE_ESCALATION"), 60)
    for texts in escalated:
        assert len(texts) == 1 and "已3个工作日无人签阅" in texts[0]["body"], texts
    assert not await got("李督查员", "NOTICE_ESCALATION")  # the recipient was reminded
    assert len(await got("李督查员", "NOTICE_UNACKED")) == 1  # once, not every day

    # nothing was re-created: one item id throughout, two items on the matter
    assert set(seen_ids) == {item_id}
    found = (await office(ITEMS, {"k": "供水管网改造"}))["items"]["nodes"]
    assert sorted(n["id"] for n in found) == sorted([item_id, other_id])

    # the history tells the story, in order
    trail = (await office(TRAIL, {"id": item_id}))["auditTrail"]
    entries = sorted(trail["entries"], key=lambda e: e["seq"])
    assert not trail["hasMore"] and all(e["itemId"] == item_id for e in entries)
    story = [
        "item.created",
        "item.updated",
        "assignment.returned",
        "assignment.transferred",
        "assignment.signed",
        "item.deadline_reset",
        "instruction.recorded",
        "instruction.confirmed",
        "notice.issued",
    ]
    told = [e["action"] for e in entries if e["action"] in story]
    assert told == story, [e["action"] for e in entries]
    by_action = {e["action"]: e for e in entries}
    assert by_action["assignment.returned"]["actorId"] == person["钱督查员"]
    assert by_action["assignment.signed"]["actorId"] == person["李督查员"]
    assert by_action["instruction.confirmed"]["actorId"] == person["周区长"]

    # every text anyone received about the item reads like the seed's message
    units = {EAST, WEST, WEST_RENAMED}
    names = {
        item_id: {f"{code}“{title}”", f"{code}“老旧小区供水管网改造”"},  # after / before the edit
        other_id: {f"{other_code}“老旧小区供水管网改造工程”"},
    }
    received = 0
    kinds: set[str] = set()
    for name in person:
        everything = (await office(INBOX, {"p": person[name]}))["inbox"]
        for n in everything:
            assert_house_style(n["title"], n["body"], item="“", units=units)
            assert any(named in n["body"] for named in names[n["itemId"]]), n
            received += 1
            if n["itemId"] == item_id:
                kinds.add(n["kind"])
    assert {"LEVEL_CHANGED", "ITEM_CHANGED", "NOTICE_UNACKED", "NOTICE_ESCALATION"} <= kinds
    assert received >= 8


async def _not_red(level: Any) -> bool:
    got = await level()
    return got is not None and got != "RED"


async def _all(got: Any, names: list[str], kind: str) -> list[list[dict[str, Any]]] | None:
    found = [await got(name, kind) for name in names]
    return found if all(found) else None
