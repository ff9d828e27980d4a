"""Through the real gateway: the office transfers a returned, overdue item to another
unit and re-sets its deadline; the colour and the reminders follow the change.

- after the 转办 the new unit carries the item's colour and the old one does not;
- after the 调整时限 the item is no longer RED (re-coloured at once, from the event);
- the new unit is told to sign, the old one that it is released, every unit of the
  item that the limit moved; and the next deadline reminder reaches the new unit only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.core.calendar import add_workdays
from services.core.clock import today as district_today
from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, running_platform, token, wait_for
from tests.tasks.lifecycle_support import call

# the district's date (Asia/Shanghai), as the services see it: the machine's UTC date
# is the day before for eight hours of every day
TODAY = district_today()


@pytest.fixture(scope="module")
def stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(settings, OUTBOX_POLL_SECONDS="0.5", REMINDER_SCAN_SECONDS="1") as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def gateway(stack: Stack, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield GraphQLClient(client, stack.gateway_url, token(settings))


async def create(gateway: GraphQLClient, mutation: str, input_type: str, key: str, **i: Any) -> str:
    data = await gateway(
        f"mutation ($i: {input_type}!) {{ {mutation}(input: $i) {{ __typename"
        f" ... on {mutation[0].upper()}{mutation[1:]}Success {{ {key} {{ id }} }}"
        " ... on UserError { message } } }",
        {"i": i},
    )
    assert key in data[mutation], data
    return str(data[mutation][key]["id"])


async def unit(gateway: GraphQLClient, name: str) -> str:
    code = f"MV{uuid.uuid4().hex[:6]}"
    return await create(
        gateway,
        "unitCreate",
        "UnitCreateInput",
        "unit",
        code=code,
        name=name,
        kind="STREET",
        category="街道",
    )


async def person(gateway: GraphQLClient, name: str, unit_id: str | None, role: str) -> str:
    return await create(
        gateway,
        "personCreate",
        "PersonCreateInput",
        "person",
        name=name,
        unitId=unit_id,
        roles=[role],
    )


ALERT = "query ($id: ID!) { item(id: $id) { deadline originalDeadline alert { level } } }"
COUNTS = "{ units { id alertCounts { level count } } }"
INBOX = "{ inbox(first: 100) { kind title body itemId } }"


async def coloured(gateway: GraphQLClient, unit_id: str) -> int:
    data = await gateway(COUNTS)
    [found] = [u for u in data["units"] if u["id"] == unit_id]
    return sum(c["count"] for c in found["alertCounts"])


async def test_transfer_and_deadline_reset_move_colour_and_reminders(
    gateway: GraphQLClient, settings: Settings
) -> None:
    office = gateway
    old, new = await unit(office, "东关街道"), await unit(office, "西关街道")
    old_sup = await person(office, "钱督查员", old, "UNIT_SUPERVISOR")
    new_sup = await person(office, "孙督查员", new, "UNIT_SUPERVISOR")
    leader = await person(office, "周区长", None, "LEADER")
    due = TODAY - timedelta(days=5)
    item = await create(
        office,
        "itemCreate",
        "ItemCreateInput",
        "item",
        title="老旧管网改造",
        leadUnitId=old,
        responsibleLeaderId=leader,
        startDate=(TODAY - timedelta(days=60)).isoformat(),
        deadline=due.isoformat(),
    )

    async def level() -> str | None:
        alert = (await office(ALERT, {"id": item}))["item"]["alert"]
        return alert["level"] if alert else None

    await wait_for(lambda: _eq(level, "RED"), timeout=30)
    old_client = office.as_(token(settings, "UNIT_SUPERVISOR", subject=old_sup, units=[old]))
    new_client = office.as_(token(settings, "UNIT_SUPERVISOR", subject=new_sup, units=[new]))
    r = await call(
        old_client, "assignmentReturn", itemId=item, unitId=old, reason="不属于本单位职责"
    )
    assert r["__typename"] == "ItemChangeSuccess", r

    r = await call(
        office, "itemTransfer", itemId=item, fromUnitId=old, toUnitId=new, reason="属西关街道辖区"
    )
    assert r["__typename"] == "ItemMoveSuccess", r
    # the colour follows the unit: the new unit carries the red item, the old one not
    await wait_for(lambda: _count_is(office, new, 1), timeout=30)
    assert await coloured(office, old) == 0

    new_deadline = add_workdays(TODAY, 1)
    r = await call(
        office,
        "itemDeadlineReset",
        itemId=item,
        newDeadline=new_deadline.isoformat(),
        reason="区政府专题会议同意延后",
        leaderId=leader,
    )
    assert r["__typename"] == "ItemDeadlineResetSuccess", r
    got = (await office(ALERT, {"id": item}))["item"]
    assert got["deadline"] == new_deadline.isoformat()
    assert got["originalDeadline"] == due.isoformat()
    await wait_for(lambda: _not(level, "RED"), timeout=30)

    async def inbox(client: GraphQLClient) -> list[dict[str, Any]]:
        return [n for n in (await client(INBOX))["inbox"] if n["itemId"] == item]

    async def new_unit_told() -> bool:
        titles = {n["title"] for n in await inbox(new_client)}
        return {
            "督查提醒：转办事项请签收",
            "督查提醒：办理时限调整",
            "督查提醒：今日到期",
        } <= titles or {
            "督查提醒：转办事项请签收",
            "督查提醒：办理时限调整",
            "督查提醒：临近办理时限",
        } <= titles

    await wait_for(new_unit_told, timeout=60)
    mine = await inbox(new_client)
    reset = next(n for n in mine if n["title"] == "督查提醒：办理时限调整")
    assert (
        "西关街道：" in reset["body"] and f"（时限：{new_deadline.isoformat()}）" in reset["body"]
    )
    theirs = await inbox(old_client)
    assert [n["title"] for n in theirs if n["kind"] == "ITEM_CHANGED"] == ["督查提醒：事项已转办"]
    assert "已转办西关街道" in theirs[0]["body"] or any(
        "已转办西关街道" in n["body"] for n in theirs
    )
    # the time-driven reminder of the new limit went to the new unit only
    assert not [n for n in theirs if n["kind"] == "DEADLINE_NEAR"]
    assert [n for n in mine if n["kind"] == "DEADLINE_NEAR"]


async def _eq(get: Any, value: Any) -> bool:
    return bool(await get() == value)


async def _not(get: Any, value: Any) -> bool:
    got = await get()
    return got is not None and got != value


async def _count_is(gateway: GraphQLClient, unit_id: str, n: int) -> bool:
    return await coloured(gateway, unit_id) == n
