"""CLOCK_AT across the three services: a district living in June 2018 behaves as in
June 2018 (an extension is asked in time, a completion inside it is on time, a new item
has spent minutes, not years, in its colour, and a rebuild re-colours nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.core.settings import Settings
from services.stack import Stack
from tests.e2e.test_tasks_lifecycle import create
from tests.support.servers import GraphQLClient, running_platform, token, wait_for
from tests.tasks.lifecycle_support import call

CLOCK_AT = "2018-06-29T09:00:00+08:00"

PERFORMANCE = """query { me { performance { lines { rule points explanation }
    items { title outcome daysOverdue } } } }"""
ALERT = """query($id: ID!) { item(id: $id) { alert { level timeInLevels { level seconds } } } }"""


@pytest.fixture(scope="module")
def demo_stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(
        settings,
        OUTBOX_POLL_SECONDS="0.5",
        CLOCK_AT=CLOCK_AT,
        CLOCK_ANCHOR=datetime.now(UTC).isoformat(),
    ) as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def office(demo_stack: Stack, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield GraphQLClient(client, demo_stack.gateway_url, token(settings))


async def test_the_three_services_live_in_june_2018(
    demo_stack: Stack, office: GraphQLClient, settings: Settings
) -> None:
    unit = await create(
        office, "unitCreate", "UnitCreateInput", "unit",
        code="DC01", name="城关街道", kind="STREET", category="街道",
    )  # fmt: skip
    supervisor = await create(
        office, "personCreate", "PersonCreateInput", "person",
        name="周督查", unitId=unit, roles=["UNIT_SUPERVISOR"],
    )  # fmt: skip
    owner = await create(
        office, "personCreate", "PersonCreateInput", "person",
        name="冯科长", unitId=unit, roles=["CADRE"],
    )  # fmt: skip
    item = await create(
        office, "itemCreate", "ItemCreateInput", "item",
        title="背街小巷整治", leadUnitId=unit, ownerIds=[owner],
        startDate="2018-06-25", deadline="2018-10-19", source="KEY_WORK",
    )  # fmt: skip
    lead = office.as_(token(settings, "UNIT_SUPERVISOR", subject=supervisor, units=[unit]))
    cadre = office.as_(token(settings, "CADRE", subject=owner, units=[unit]))
    await call(lead, "assignmentSign", itemId=item, unitId=unit)
    await call(lead, "itemReportProgress", itemId=item, unitId=unit, percent=30, narrative="排查")

    # the item is GREEN and has been so for seconds (the wall clock would say 8 years)
    async def coloured() -> Any:
        alert = (await office(ALERT, {"id": item}))["item"]["alert"]
        return alert if alert and alert["level"] == "GREEN" else None

    alert = await wait_for(coloured, timeout=30)
    assert all(0 <= t["seconds"] < 3600 for t in alert["timeInLevels"]), alert

    # tasks: on 2018-06-29 a deadline of 2018-10-19 is still ahead
    ext = await call(
        lead, "extensionRequest", itemId=item, unitId=unit,
        newDeadline="2018-11-30", reason="施工窗口期调整",
    )  # fmt: skip
    assert ext["__typename"] == "ExtensionSuccess", ext
    await call(office, "extensionDecide", extensionId=ext["extension"]["id"], approved=True)
    await call(lead, "itemReportProgress", itemId=item, unitId=unit, percent=100, narrative="完成")
    await call(lead, "completionRequest", itemId=item, unitId=unit, summary="已完成")
    done = await call(office, "completionVerify", itemId=item, unitId=unit, note="核实通过")
    assert done["item"]["state"] == "COMPLETED"

    # evaluation: completed on 2018-06-29, inside the extension: on time, 0 days overdue
    async def scored() -> Any:
        # the outcome and the completion line come from different events: wait for both
        perf = (await cadre(PERFORMANCE))["me"]["performance"]
        if not (perf and perf["items"] and perf["items"][0]["outcome"]):
            return None
        lines = {line["rule"] for line in perf["lines"]}
        return perf if "COMPLETED_ON_TIME" in lines else None

    perf = await wait_for(scored, timeout=30)
    assert perf["items"][0]["outcome"] == "ON_TIME" and perf["items"][0]["daysOverdue"] == 0
    rules = [line["rule"] for line in perf["lines"]]
    assert "COMPLETED_ON_TIME" in rules and "EXTENSION_APPROVED" in rules

    # ducha alerts-rebuild with the same CLOCK_AT re-colours against 2018-06-29, not today
    env = {**os.environ, **demo_stack.env()}
    out = subprocess.run(  # noqa: ASYNC221 (the command line itself is under test)
        [sys.executable, "-m", "services.cli", "alerts-rebuild"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "0 colour change(s)" in out.stdout, out.stdout + out.stderr
