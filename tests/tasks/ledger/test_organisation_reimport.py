"""Re-importing the units-and-people sheet after a reshuffle: a dry-run diff first,
then all-or-nothing updates by code; retired rows are marked, never deleted; a cadre
who moves units stays the same person (and keeps the performance file)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest_asyncio

from services.core.db import connect
from services.core.settings import Settings
from tests.support.servers import running_service
from tests.tasks.ledger.test_ledger import IMPORT_ORG, b64, xlsx

DRY_RUN = IMPORT_ORG.replace("{contentBase64: $f}", "{contentBase64: $f, dryRun: true}")
S = uuid.uuid4().hex[:4]
A, B, C = f"甲街道{S}", f"乙局{S}", f"丙街道{S}"
UNIT_HEAD = ["单位编码", "单位名称", "单位类型", "评价类别", "状态"]
PEOPLE_HEAD = ["人员编码", "姓名", "所属单位", "职级", "角色", "状态"]

BEFORE = {
    "单位": [UNIT_HEAD, [f"A{S}", A, "街道", None, None], [f"B{S}", B, "区直部门", None, None]],
    "人员": [
        PEOPLE_HEAD,
        [f"P1{S}", "钱一", A, "正科", "科级干部", "在职"],
        [f"P2{S}", "孙二", A, "副科", "单位督查员", None],
        [f"P3{S}", "周三", B, "正科", "科级干部", None],
    ],
}
AFTER = {
    "单位": [
        UNIT_HEAD,
        [f"A{S}", A + "新", "街道", None, None],  # renamed
        [f"B{S}", B, "区直部门", None, "撤销"],  # retired
        [f"C{S}", C, "街道", None, None],  # new
    ],
    "人员": [
        PEOPLE_HEAD,
        [f"P1{S}", "钱一", C, "正科", "科级干部", "在职"],  # moves to the new unit
        [f"P2{S}", "孙二", A + "新", "副科", "单位督查员", "离任"],  # leaves
        [f"P3{S}", "周三", B, "正科", "科级干部", None],  # unchanged
        [f"P4{S}", "吴四", C, "副科", "科级干部", None],  # new
    ],
}


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (_app, client):
        conn = await connect(settings.require_database_url(), "tasks")
        try:
            first = await client(IMPORT_ORG, {"f": b64(xlsx(BEFORE))})
            assert first["organisationImport"]["__typename"] == "OrganisationImportSuccess", first
            yield {"client": client, "conn": conn}
        finally:
            await conn.close()


async def snapshot(conn: Any) -> tuple[int, int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM units"),
        await conn.fetchval("SELECT count(*) FROM people"),
        await conn.fetchval("SELECT count(*) FROM outbox"),
    )


async def test_dry_run_reports_the_diff_and_writes_nothing(world: dict[str, Any]) -> None:
    conn = world["conn"]
    before = await snapshot(conn)
    got = (await world["client"](DRY_RUN, {"f": b64(xlsx(AFTER))}))["organisationImport"]
    assert got["__typename"] == "OrganisationImportSuccess", got
    assert got["dryRun"] is True and got["units"] == [] and got["people"] == []
    diff = got["diff"]
    assert (diff["created"], diff["updated"], diff["retired"], diff["unchanged"]) == (2, 2, 2, 1)
    rows = {(r["sheet"], r["code"]): r for r in diff["rows"]}
    assert rows[("单位", f"A{S}")]["action"] == "UPDATED"
    assert rows[("单位", f"A{S}")]["changes"] == [{"field": "name", "before": A, "after": A + "新"}]
    assert rows[("单位", f"B{S}")]["action"] == "RETIRED"
    assert rows[("单位", f"C{S}")]["action"] == "CREATED"
    moved = rows[("人员", f"P1{S}")]
    assert moved["action"] == "UPDATED" and [c["field"] for c in moved["changes"]] == ["unit_id"]
    assert moved["changes"][0]["after"] == C  # a unit the sheet creates, by its label
    assert rows[("人员", f"P2{S}")]["action"] == "RETIRED"
    assert rows[("人员", f"P3{S}")]["action"] == "UNCHANGED"
    assert rows[("人员", f"P4{S}")]["action"] == "CREATED"
    assert await snapshot(conn) == before


async def test_apply_updates_retires_and_keeps_people(world: dict[str, Any]) -> None:
    conn = world["conn"]
    qian = await conn.fetchrow("SELECT id, unit_id FROM people WHERE code = $1", f"P1{S}")
    got = (await world["client"](IMPORT_ORG, {"f": b64(xlsx(AFTER))}))["organisationImport"]
    assert got["__typename"] == "OrganisationImportSuccess", got
    assert got["dryRun"] is False
    after = await conn.fetchrow(
        "SELECT p.id, u.name FROM people p JOIN units u ON u.id = p.unit_id WHERE p.code = $1",
        f"P1{S}",
    )
    assert after["id"] == qian["id"] and after["name"] == C  # same person: same file
    retired = await conn.fetch(
        "SELECT code FROM units WHERE retired_at IS NOT NULL AND code = $1"
        " UNION ALL SELECT code FROM people WHERE retired_at IS NOT NULL AND code = $2",
        f"B{S}",
        f"P2{S}",
    )
    assert sorted(r["code"] for r in retired) == sorted([f"B{S}", f"P2{S}"])
    events = await conn.fetch(
        "SELECT payload->'data' AS d FROM outbox WHERE subject = 'tasks.person.upserted'"
        " AND payload->>'aggregate_id' = $1 ORDER BY seq",
        str(await conn.fetchval("SELECT id FROM people WHERE code = $1", f"P2{S}")),
    )
    assert events[-1]["d"]["active"] is False
    assert isinstance(qian["id"], UUID)
    # the same sheet once more: nothing left to do
    again = (await world["client"](DRY_RUN, {"f": b64(xlsx(AFTER))}))["organisationImport"]
    d = again["diff"]
    assert (d["created"], d["updated"], d["retired"], d["unchanged"]) == (0, 0, 0, 7), d


async def test_a_bad_row_rejects_the_whole_reimport(world: dict[str, Any]) -> None:
    conn = world["conn"]
    before = await snapshot(conn)
    bad = {
        "单位": [UNIT_HEAD, [f"Z{S}", f"新单位{S}", "街道", None, None]],
        "人员": [PEOPLE_HEAD, [f"P9{S}", "郑九", "不存在的单位", None, None, None]],
    }
    got = (await world["client"](IMPORT_ORG, {"f": b64(xlsx(bad))}))["organisationImport"]
    assert got["__typename"] == "LedgerRowsError", got
    assert await snapshot(conn) == before


async def test_people_of_a_renamed_unit_do_not_move(world: dict[str, Any]) -> None:
    """A sheet that renames a unit names its people by the new name: they stay where
    they are (UNCHANGED), in the dry run and when applied."""
    conn = world["conn"]
    d = f"丁街道{S}"
    first = {
        "单位": [UNIT_HEAD, [f"D{S}", d, "街道", None, None]],
        "人员": [PEOPLE_HEAD, [f"P7{S}", "冯七", d, "正科", "科级干部", None]],
    }
    got = (await world["client"](IMPORT_ORG, {"f": b64(xlsx(first))}))["organisationImport"]
    assert got["__typename"] == "OrganisationImportSuccess", got
    renamed = {
        "单位": [UNIT_HEAD, [f"D{S}", d + "办事处", "街道", None, None]],
        "人员": [PEOPLE_HEAD, [f"P7{S}", "冯七", d + "办事处", "正科", "科级干部", None]],
    }
    dry = (await world["client"](DRY_RUN, {"f": b64(xlsx(renamed))}))["organisationImport"]
    rows = {(r["sheet"], r["code"]): r for r in dry["diff"]["rows"]}
    assert rows[("单位", f"D{S}")]["action"] == "UPDATED"
    assert rows[("人员", f"P7{S}")]["action"] == "UNCHANGED", rows[("人员", f"P7{S}")]
    before = await conn.fetchrow("SELECT id, unit_id FROM people WHERE code = $1", f"P7{S}")
    got = (await world["client"](IMPORT_ORG, {"f": b64(xlsx(renamed))}))["organisationImport"]
    assert got["__typename"] == "OrganisationImportSuccess", got
    after = await conn.fetchrow("SELECT id, unit_id FROM people WHERE code = $1", f"P7{S}")
    assert dict(after) == dict(before)
