"""Access-control matrix: every lifecycle and organisation mutation × role × in-scope /
out-of-scope unit, through the subgraph (the service enforces it, not the gateway).

The expected outcome is written out by hand below (not computed with the code under
test). A forbidden combination must end in a FORBIDDEN error and change nothing; an
allowed one must succeed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from services.core.auth import Principal, Role
from services.core.clock import today as district_today
from services.core.settings import Settings
from services.tasks.access import Operation
from services.tasks.items import service
from services.tasks.lifecycle import service as life
from services.tasks.moves import service as moves
from services.tasks.org import service as org_service
from tests.support.servers import GraphQLClient, running_service, token
from tests.tasks.lifecycle_support import call_raw

# the district's date (Asia/Shanghai), as the services see it: the machine's UTC date
# is the day before for eight hours of every day
TODAY = district_today()
OFFICE = Principal(
    "00000000-0000-0000-0000-0000000000aa", roles=frozenset({Role.SUPERVISION_OFFICE})
)
ALL_OPS = [o.value for o in Operation]


@dataclass(frozen=True)
class Actor:
    name: str
    roles: tuple[str, ...]
    units: str  # "L" (the item's lead unit), "O" (a unit not on the item), "" (none)
    acting: str  # unit a unit operation acts for: "L", "C" (co-unit), "O"
    subject: str = "random"  # "owner" / "leader" / "random"
    ops: tuple[str, ...] = ()


ACTORS = [
    Actor("office", ("SUPERVISION_OFFICE",), "", "L"),
    Actor("leader", ("LEADER",), "", "L", subject="leader"),
    Actor("head_in", ("UNIT_HEAD",), "L", "L"),
    Actor("head_out", ("UNIT_HEAD",), "O", "O"),
    Actor("head_in_for_co_unit", ("UNIT_HEAD",), "L", "C"),
    Actor("head_out_for_lead_unit", ("UNIT_HEAD",), "O", "L"),
    Actor("supervisor_in", ("UNIT_SUPERVISOR",), "L", "L"),
    Actor("supervisor_out", ("UNIT_SUPERVISOR",), "O", "O"),
    Actor("cadre_owner", ("CADRE",), "L", "L", subject="owner"),
    Actor("cadre_other", ("CADRE",), "O", "O"),
    Actor("integration_in", ("INTEGRATION",), "L", "L", ops=tuple(ALL_OPS)),
    Actor("integration_out", ("INTEGRATION",), "O", "O", ops=tuple(ALL_OPS)),
    Actor("integration_in_no_op", ("INTEGRATION",), "L", "L", ops=("ITEM_READ",)),
    Actor("integration_out_for_lead_unit", ("INTEGRATION",), "O", "L", ops=tuple(ALL_OPS)),
]

UNIT_SIDE = {"head_in", "supervisor_in", "integration_in"}
ALLOWED: dict[str, set[str]] = {
    "assignmentSign": UNIT_SIDE,
    "assignmentReturn": UNIT_SIDE,
    "itemReportProgress": UNIT_SIDE,
    "completionRequest": UNIT_SIDE,
    "extensionRequest": UNIT_SIDE,
    "assignmentReassign": {"office"},
    "completionVerify": {"office"},
    "completionSendBack": {"office"},
    "reportVerify": {"office"},
    "extensionDecide": {"office"},
    "itemSuspend": {"office"},
    "itemResume": {"office"},
    "itemCancel": {"office"},
    "itemChase": {"office", "leader"},
    "instructionAdd": {"leader"},
    "itemUpdate": {"office"},
    "itemTransfer": {"office"},
    "itemDeadlineReset": {"office"},
    "instructionRecord": {"office"},
    "instructionConfirm": {"leader"},
    "itemCreate": {"office"},
    "unitCreate": {"office"},
    "unitUpdate": {"office"},
    "personCreate": {"office"},
    "personUpdate": {"office"},
}


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (app, client):
        pool = app.state.pool
        units = {
            k: (
                await org_service.create_unit(
                    pool, OFFICE, f"M{k}{uuid.uuid4().hex[:6]}", n, "STREET", "街道"
                )
            )["id"]
            for k, n in (("L", "牵头街道"), ("C", "配合局"), ("O", "无关街道"))
        }
        owner = (await org_service.create_person(pool, OFFICE, name="赵科长", unit_id=units["L"]))[
            "id"
        ]
        leader = (await org_service.create_person(pool, OFFICE, name="孙区长", roles=["LEADER"]))[
            "id"
        ]
        yield {
            "client": client,
            "pool": pool,
            "settings": settings,
            "units": units,
            "owner": owner,
            "leader": leader,
        }


def principal_of(w: dict[str, Any], unit: str) -> Principal:
    return Principal(
        "u-" + unit,
        roles=frozenset({Role.UNIT_SUPERVISOR}),
        unit_ids=frozenset({str(w["units"][unit])}),
    )


async def fresh_item(w: dict[str, Any]) -> uuid.UUID:
    u = w["units"]
    row = await service.create_item(
        w["pool"],
        OFFICE,
        service.NewItem(
            title="矩阵测试事项",
            lead_unit_id=u["L"],
            co_unit_ids=[u["C"]],
            start_date=TODAY - timedelta(days=10),
            deadline=TODAY + timedelta(days=30),
            owner_ids=[w["owner"]],
            responsible_leader_id=w["leader"],
            confirm_duplicate=True,
        ),
    )
    return row["id"]  # type: ignore[no-any-return]


Setup = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def _signed(w: dict[str, Any]) -> uuid.UUID:
    item = await fresh_item(w)
    await life.sign(w["pool"], principal_of(w, "L"), life.UnitStep(item, w["units"]["L"]))
    return item


async def _requested(w: dict[str, Any]) -> uuid.UUID:
    item = await _signed(w)
    await life.request_completion(
        w["pool"], principal_of(w, "L"), life.CompletionRequest(item, w["units"]["L"], "完成")
    )
    return item


async def setup_item(w: dict[str, Any]) -> dict[str, Any]:
    return {"item": await fresh_item(w)}


async def setup_signed(w: dict[str, Any]) -> dict[str, Any]:
    return {"item": await _signed(w)}


async def setup_requested(w: dict[str, Any]) -> dict[str, Any]:
    return {"item": await _requested(w)}


async def setup_returned(w: dict[str, Any]) -> dict[str, Any]:
    item = await fresh_item(w)
    await life.return_assignment(
        w["pool"], principal_of(w, "L"), life.UnitStep(item, w["units"]["L"], "不属于本单位")
    )
    return {"item": item}


async def setup_report(w: dict[str, Any]) -> dict[str, Any]:
    item = await _signed(w)
    changed = await life.report_progress(
        w["pool"], principal_of(w, "L"), life.ProgressReport(item, w["units"]["L"], 30, "进展")
    )
    assert changed.record is not None
    return {"item": item, "report": changed.record["id"]}


async def setup_extension(w: dict[str, Any]) -> dict[str, Any]:
    item = await fresh_item(w)
    changed = await life.request_extension(
        w["pool"],
        principal_of(w, "L"),
        life.ExtensionRequest(item, w["units"]["L"], TODAY + timedelta(days=60), "理由"),
    )
    assert changed.record is not None
    return {"item": item, "extension": changed.record["id"]}


async def setup_suspended(w: dict[str, Any]) -> dict[str, Any]:
    item = await fresh_item(w)
    await life.suspend(w["pool"], OFFICE, life.ItemStep(item, "暂停"))
    return {"item": item}


async def setup_recorded_instruction(w: dict[str, Any]) -> dict[str, Any]:
    item = await fresh_item(w)
    changed = await moves.record_instruction(
        w["pool"], OFFICE, moves.RecordedInstruction(item, w["leader"], "抓紧落实", TODAY)
    )
    assert changed.record is not None
    return {"item": item, "instruction": changed.record["id"]}


async def setup_org(w: dict[str, Any]) -> dict[str, Any]:
    unit = await org_service.create_unit(
        w["pool"], OFFICE, f"X{uuid.uuid4().hex[:8]}", "待改单位", "OTHER", "其他"
    )
    person = await org_service.create_person(w["pool"], OFFICE, name="待改人员")
    return {"unit": unit["id"], "person": person["id"]}


def s(v: Any) -> str:
    return str(v)


# mutation: (setup, input builder(world, setup result, acting unit id))
CASES: dict[str, tuple[Setup, Callable[[dict[str, Any], dict[str, Any], str], dict[str, Any]]]] = {
    "assignmentSign": (setup_item, lambda w, c, u: {"itemId": s(c["item"]), "unitId": u}),
    "assignmentReturn": (
        setup_item,
        lambda w, c, u: {"itemId": s(c["item"]), "unitId": u, "reason": "非本单位职责"},
    ),
    "itemReportProgress": (
        setup_signed,
        lambda w, c, u: {"itemId": s(c["item"]), "unitId": u, "percent": 50, "narrative": "推进中"},
    ),
    "completionRequest": (
        setup_signed,
        lambda w, c, u: {"itemId": s(c["item"]), "unitId": u, "summary": "已完成"},
    ),
    "extensionRequest": (
        setup_item,
        lambda w, c, u: {
            "itemId": s(c["item"]),
            "unitId": u,
            "newDeadline": (TODAY + timedelta(days=90)).isoformat(),
            "reason": "征地",
        },
    ),
    "assignmentReassign": (
        setup_returned,
        lambda w, c, u: {"itemId": s(c["item"]), "unitId": s(w["units"]["L"])},
    ),
    "completionVerify": (
        setup_requested,
        lambda w, c, u: {"itemId": s(c["item"]), "unitId": s(w["units"]["L"])},
    ),
    "completionSendBack": (
        setup_requested,
        lambda w, c, u: {"itemId": s(c["item"]), "unitId": s(w["units"]["L"]), "note": "不达标"},
    ),
    "reportVerify": (
        setup_report,
        lambda w, c, u: {"reportId": s(c["report"]), "result": "CONFIRMED"},
    ),
    "extensionDecide": (
        setup_extension,
        lambda w, c, u: {"extensionId": s(c["extension"]), "approved": True},
    ),
    "itemSuspend": (setup_item, lambda w, c, u: {"itemId": s(c["item"]), "reason": "暂停"}),
    "itemResume": (setup_suspended, lambda w, c, u: {"itemId": s(c["item"])}),
    "itemCancel": (setup_item, lambda w, c, u: {"itemId": s(c["item"]), "reason": "撤销"}),
    "itemChase": (setup_item, lambda w, c, u: {"itemId": s(c["item"]), "note": "请加快"}),
    "instructionAdd": (setup_item, lambda w, c, u: {"itemId": s(c["item"]), "content": "抓紧落实"}),
    "itemUpdate": (setup_item, lambda w, c, u: {"itemId": s(c["item"]), "title": "改过的标题"}),
    "itemTransfer": (
        setup_returned,
        lambda w, c, u: {
            "itemId": s(c["item"]),
            "fromUnitId": s(w["units"]["L"]),
            "toUnitId": s(w["units"]["O"]),
            "reason": "属其他单位职责",
        },
    ),
    "itemDeadlineReset": (
        setup_item,
        lambda w, c, u: {
            "itemId": s(c["item"]),
            "newDeadline": (TODAY + timedelta(days=45)).isoformat(),
            "reason": "领导同意",
            "leaderId": s(w["leader"]),
        },
    ),
    "instructionRecord": (
        setup_item,
        lambda w, c, u: {
            "itemId": s(c["item"]),
            "leaderId": s(w["leader"]),
            "content": "抓紧落实",
            "instructedOn": TODAY.isoformat(),
        },
    ),
    "instructionConfirm": (
        setup_recorded_instruction,
        lambda w, c, u: {"instructionId": s(c["instruction"])},
    ),
}

ORG_DOCS = {
    "itemCreate": ("ItemCreateInput", "ItemCreateSuccess"),
    "unitCreate": ("UnitCreateInput", "UnitCreateSuccess"),
    "unitUpdate": ("UnitUpdateInput", "UnitUpdateSuccess"),
    "personCreate": ("PersonCreateInput", "PersonCreateSuccess"),
    "personUpdate": ("PersonUpdateInput", "PersonUpdateSuccess"),
}


def org_input(name: str, w: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
    lead = s(w["units"]["L"])
    return {
        "itemCreate": {
            "title": "新事项",
            "leadUnitId": lead,
            "startDate": "2018-01-01",
            "deadline": "2018-03-01",
        },
        "unitCreate": {
            "code": f"N{uuid.uuid4().hex[:8]}",
            "name": "新单位",
            "kind": "STREET",
            "category": "街道",
        },
        "unitUpdate": {"id": s(c.get("unit")), "name": "改名单位"},
        "personCreate": {"name": "新人员", "unitId": lead},
        "personUpdate": {"id": s(c.get("person")), "name": "改名人员"},
    }[name]


def client_for(w: dict[str, Any], actor: Actor) -> GraphQLClient:
    subject = {"owner": s(w["owner"]), "leader": s(w["leader"])}.get(
        actor.subject, str(uuid.uuid4())
    )
    units = [s(w["units"][actor.units])] if actor.units else []
    bearer = token(w["settings"], *actor.roles, subject=subject, units=units, ops=list(actor.ops))
    client: GraphQLClient = w["client"]
    return client.as_(bearer)


async def version_of(w: dict[str, Any], item: Any) -> tuple[int, int]:
    async with w["pool"].acquire() as conn:
        row = await conn.fetchrow(
            "SELECT version, (SELECT count(*) FROM outbox) AS n FROM items WHERE id = $1", item
        )
    return row["version"], row["n"]


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.name)
@pytest.mark.parametrize("mutation", list(CASES))
async def test_lifecycle_mutation_matrix(
    world: dict[str, Any], mutation: str, actor: Actor
) -> None:
    setup, build = CASES[mutation]
    ctx = await setup(world)
    acting = s(world["units"][actor.acting])
    before = await version_of(world, ctx["item"])
    body = await call_raw(client_for(world, actor), mutation, **build(world, ctx, acting))
    allowed = actor.name in ALLOWED[mutation]
    if allowed:
        assert not body.get("errors"), body
        assert body["data"][mutation]["__typename"].endswith("Success"), body
    else:
        assert body.get("errors"), f"{actor.name} may not {mutation}, but: {body}"
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert await version_of(world, ctx["item"]) == before


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.name)
@pytest.mark.parametrize("mutation", list(ORG_DOCS))
async def test_organisation_mutation_matrix(
    world: dict[str, Any], mutation: str, actor: Actor
) -> None:
    ctx = await setup_org(world) if mutation.endswith("Update") else {}
    input_type, success = ORG_DOCS[mutation]
    doc = f"mutation ($i: {input_type}!) {{ {mutation}(input: $i) {{ __typename }} }}"
    body = await client_for(world, actor).raw(doc, {"i": org_input(mutation, world, ctx)})
    if actor.name in ALLOWED[mutation]:
        assert not body.get("errors"), body
        assert body["data"][mutation]["__typename"] == success, body
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


READ = "query ($id: ID!) { item(id: $id) { id } }"
LIST = "query ($u: ID) { items(first: 200, filter: {unitId: $u}) { nodes { id } } }"
SEES = {
    "office",
    "leader",
    "head_in",
    "head_in_for_co_unit",
    "supervisor_in",
    "cadre_owner",
    "integration_in",
    "integration_in_no_op",
}


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.name)
async def test_read_matrix(world: dict[str, Any], actor: Actor) -> None:
    item = s(await fresh_item(world))
    client = client_for(world, actor)
    found = (await client(READ, {"id": item}))["item"]
    listed = {
        n["id"] for n in (await client(LIST, {"u": s(world["units"]["L"])}))["items"]["nodes"]
    }
    assert (found is not None) == (actor.name in SEES), actor
    assert (item in listed) == (actor.name in SEES), actor
