"""Through the real Hive Gateway, with a token for each role: the whole item lifecycle."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.core.clock import today as district_today
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, token
from tests.tasks.lifecycle_support import DETAIL, call, call_raw

# the district's date (Asia/Shanghai), as the services see it: the machine's UTC date
# is the day before for eight hours of every day
TODAY = district_today()


async def create(
    gateway: GraphQLClient, mutation: str, input_type: str, key: str, **input: Any
) -> str:
    data = await gateway(
        f"mutation ($i: {input_type}!) {{ {mutation}(input: $i) {{ __typename"
        f" ... on {mutation[0].upper()}{mutation[1:]}Success {{ {key} {{ id }} }}"
        " ... on UserError { message } } }",
        {"i": input},
    )
    assert key in data[mutation], data
    return str(data[mutation][key]["id"])


async def test_whole_lifecycle_through_the_gateway(
    gateway: GraphQLClient, settings: Settings
) -> None:
    office = gateway
    lead = await create(
        office,
        "unitCreate",
        "UnitCreateInput",
        "unit",
        code="LC01",
        name="南城街道",
        kind="STREET",
        category="街道",
    )
    co = await create(
        office,
        "unitCreate",
        "UnitCreateInput",
        "unit",
        code="LC02",
        name="区交通局",
        kind="DEPARTMENT",
        category="部门",
    )
    other = await create(
        office,
        "unitCreate",
        "UnitCreateInput",
        "unit",
        code="LC03",
        name="北城街道",
        kind="STREET",
        category="街道",
    )
    supervisor = await create(
        office,
        "personCreate",
        "PersonCreateInput",
        "person",
        name="周督查",
        unitId=lead,
        roles=["UNIT_SUPERVISOR"],
    )
    co_head = await create(
        office,
        "personCreate",
        "PersonCreateInput",
        "person",
        name="吴局长",
        unitId=co,
        roles=["UNIT_HEAD"],
    )
    leader = await create(
        office, "personCreate", "PersonCreateInput", "person", name="郑区长", roles=["LEADER"]
    )
    owner = await create(
        office,
        "personCreate",
        "PersonCreateInput",
        "person",
        name="冯科长",
        unitId=lead,
        roles=["CADRE"],
    )
    outsider = await create(
        office,
        "personCreate",
        "PersonCreateInput",
        "person",
        name="陈书记",
        unitId=other,
        roles=["UNIT_HEAD"],
    )
    deadline = TODAY + timedelta(days=45)
    item = await create(
        office,
        "itemCreate",
        "ItemCreateInput",
        "item",
        title="城区道路交通秩序整治",
        content="重点路段拥堵治理",
        leadUnitId=lead,
        coUnitIds=[co],
        ownerIds=[owner],
        responsibleLeaderId=leader,
        startDate=TODAY.isoformat(),
        deadline=deadline.isoformat(),
        source="LEADER_INSTRUCTION",
    )

    def as_(
        role: str, subject: str, units: list[str] | None = None, ops: list[str] | None = None
    ) -> GraphQLClient:
        return gateway.as_(token(settings, role, subject=subject, units=units, ops=ops))

    lead_sup = as_("UNIT_SUPERVISOR", supervisor, [lead])
    co_chief = as_("UNIT_HEAD", co_head, [co])
    district_leader = as_("LEADER", leader)
    cadre = as_("CADRE", owner, [lead])
    stranger = as_("UNIT_HEAD", outsider, [other])
    system = as_("INTEGRATION", "svc-12345", [lead], ["PROGRESS_REPORT"])

    # someone from another unit neither sees nor touches the item
    assert (await stranger("query ($id: ID!) { item(id: $id) { id } }", {"id": item}))[
        "item"
    ] is None
    denied = await call_raw(stranger, "assignmentSign", itemId=item, unitId=lead)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    assert (await call(lead_sup, "assignmentSign", itemId=item, unitId=lead))["item"][
        "state"
    ] == "IN_PROGRESS"
    assert (await call(co_chief, "assignmentSign", itemId=item, unitId=co))[
        "__typename"
    ] == "ItemChangeSuccess"
    r = await call(
        system,
        "itemReportProgress",
        itemId=item,
        unitId=lead,
        percent=30,
        narrative="完成路段排查",
        idempotencyKey="sys-1",
    )
    assert r["__typename"] == "ItemReportProgressSuccess", r
    dup = await call(
        system,
        "itemReportProgress",
        itemId=item,
        unitId=lead,
        percent=30,
        narrative="完成路段排查",
        idempotencyKey="sys-1",
    )
    assert dup["__typename"] == "ConflictError"
    not_granted = await call_raw(system, "completionRequest", itemId=item, unitId=lead, summary="x")
    assert not_granted["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await call(district_leader, "instructionAdd", itemId=item, content="务必按期完成"))[
        "__typename"
    ] == "ItemChangeSuccess"
    assert (await call(district_leader, "itemChase", itemId=item, unitId=co))[
        "__typename"
    ] == "ItemChangeSuccess"
    ext = await call(
        co_chief,
        "extensionRequest",
        itemId=item,
        unitId=co,
        newDeadline=(deadline + timedelta(days=15)).isoformat(),
        reason="施工窗口期调整",
    )
    decided = await call(
        office, "extensionDecide", extensionId=ext["extension"]["id"], approved=True
    )
    assert decided["item"]["deadline"] == (deadline + timedelta(days=15)).isoformat()
    assert decided["item"]["originalDeadline"] == deadline.isoformat()

    await call(
        lead_sup,
        "itemReportProgress",
        itemId=item,
        unitId=lead,
        percent=100,
        narrative="整治完成",
        problems="无",
        nextSteps="长效管理",
    )
    await call(lead_sup, "completionRequest", itemId=item, unitId=lead, summary="已全部完成")
    await call(
        co_chief, "itemReportProgress", itemId=item, unitId=co, percent=80, narrative="信号灯改造"
    )
    await call(co_chief, "completionRequest", itemId=item, unitId=co, summary="已完成")
    back = await call(office, "completionSendBack", itemId=item, unitId=co, note="信号灯未全部完成")
    assert back["item"]["state"] == "IN_PROGRESS"
    await call(co_chief, "completionRequest", itemId=item, unitId=co, summary="已补齐")
    inspection = {
        "inspectedOn": TODAY.isoformat(),
        "place": "解放路",
        "participants": "督查办",
        "findings": "现场秩序良好",
    }
    await call(office, "completionVerify", itemId=item, unitId=lead, inspection=inspection)
    done = await call(office, "completionVerify", itemId=item, unitId=co, note="核实通过")
    assert done["item"]["state"] == "COMPLETED"
    assert all(a["state"] == "COMPLETED" for a in done["item"]["assignments"])

    # the owner (a cadre) reads the whole record through the gateway
    detail = (await cadre(DETAIL, {"id": item}))["item"]
    assert detail["state"] == "COMPLETED"
    assert [r["percent"] for r in detail["reports"]] == [30, 100, 80]
    assert detail["instructions"][0]["leader"]["name"] == "郑区长"
    assert detail["extensions"][0]["state"] == "APPROVED"
    assert [v["approved"] for v in detail["verifications"]] == [False, True, True]
    assert detail["verifications"][1]["onSite"] is True
    actions = [a["action"] for a in detail["auditTrail"]]
    assert actions[0] == "item.created" and actions[-1] == "item.completed"

    stats = await office(
        "query { itemStatistics(groupBy: SOURCE, filter: {sources: [LEADER_INSTRUCTION]}) { key total completed } }"
    )
    assert stats["itemStatistics"] == [{"key": "LEADER_INSTRUCTION", "total": 1, "completed": 1}]
    listed = await office(
        "query ($f: ItemFilter) { items(filter: $f) { nodes { id } } }",
        {"f": {"keyword": "交通秩序", "states": ["COMPLETED"]}},
    )
    assert [n["id"] for n in listed["items"]["nodes"]] == [item]
