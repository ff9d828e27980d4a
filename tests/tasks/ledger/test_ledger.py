"""台账: items, units and people in and out of .xlsx; bad files and bad rows change nothing."""

from __future__ import annotations

import asyncio
import base64
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from openpyxl import Workbook, load_workbook

from services.cli import main
from services.core.db import connect
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, running_service, token

IMPORT_ITEMS = """
mutation ($f: String!) {
  ledgerImportItems(input: {contentBase64: $f}) {
    __typename
    ... on LedgerImportItemsSuccess { createdCount items { id code title source deadline
        planNodes { date percent } coUnits { name } owners { name } responsibleLeader { name } } }
    ... on LedgerRowsError { code message rowErrors { sheet row column message } }
    ... on ValidationError { code message field }
  }
}"""

IMPORT_ORG = """
mutation ($f: String!) {
  organisationImport(input: {contentBase64: $f}) {
    __typename
    ... on OrganisationImportSuccess { units { id code name kind } people { id name rank roles unit { name } }
      dryRun diff { created updated retired unchanged
        rows { sheet row action code name changes { field before after } } } }
    ... on LedgerRowsError { rowErrors { sheet row column message } }
    ... on ValidationError { message }
  }
}"""

EXPORT = """
query ($f: ItemFilter) { ledgerExport(filter: $f) { fileName mimeType contentBase64 } }"""

ITEM_HEADERS = [
    "事项名称",
    "事项内容",
    "事项来源",
    "重要程度",
    "难度系数",
    "开始日期",
    "办理时限",
    "汇报周期",
    "牵头单位",
    "配合单位",
    "分包负责人",
    "具体负责人",
    "计划节点",
]


def xlsx(sheets: Any) -> bytes:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def read_xlsx(content_base64: str) -> dict[str, list[list[Any]]]:
    wb = load_workbook(io.BytesIO(base64.b64decode(content_base64)))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


SUFFIX = uuid.uuid4().hex[:4]
EAST, HOUSING, WEST = f"东城街道{SUFFIX}", f"区住建局{SUFFIX}", f"西城街道{SUFFIX}"

ORGANISATION = {
    "单位": [
        ["单位编码", "单位名称", "单位类型", "评价类别"],
        [f"E{SUFFIX}", EAST, "街道", "街道"],
        [f"H{SUFFIX}", HOUSING, "区直部门", "综合部门"],
        [f"W{SUFFIX}", WEST, "街道", None],
    ],
    "人员": [
        ["姓名", "所属单位", "职级", "职务", "手机", "企业微信账号", "邮箱", "角色"],
        [
            "王建国",
            EAST,
            "正科",
            "党工委书记",
            "13800000001",
            "wangjg",
            "w@example.cn",
            "单位主要负责人",
        ],
        ["李娜", EAST, "副科", "督查员", "13800000002", None, None, "单位督查员、科级干部"],
        ["张伟", EAST, "正科", "城管科科长", 13800000003, None, None, "科级干部"],
        ["张伟", HOUSING, "副科", "建管科副科长", None, None, None, None],
        ["陈区长", None, None, "副区长", None, None, None, "区领导"],
    ],
}


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    async with running_service("tasks", settings) as (_app, client):
        conn = await connect(settings.require_database_url(), "tasks")
        try:
            org = await client(IMPORT_ORG, {"f": b64(xlsx(ORGANISATION))})
            yield {
                "client": client,
                "conn": conn,
                "settings": settings,
                "org": org["organisationImport"],
            }
        finally:
            await conn.close()


def good_rows() -> list[list[Any]]:
    return [
        ITEM_HEADERS,
        [
            "背街小巷整治",
            "完成30条背街小巷整治",
            "重点工作",
            2,
            1.5,
            date(2018, 3, 1),
            "2018-09-30",
            "每月",
            EAST,
            HOUSING,
            "陈区长",
            f"张伟（{EAST}）、李娜",
            "2018-06-30 50%；2018-09-30 100%",
        ],
        [None, None, None, None, None, None, None, None, None, None, None, None, None],  # blank
        [
            "老旧小区加装电梯",
            None,
            "人大建议",
            None,
            None,
            "2018/4/1",
            "2018年12月31日",
            None,
            f"H{SUFFIX}",
            None,
            None,
            None,
            None,
        ],
        [
            "群众反映噪音扰民问题",
            "夜间施工噪音",
            "群众诉求",
            1,
            None,
            43191,
            43281,
            "每周",
            WEST,
            None,
            None,
            None,
            "2018-05-31:60",
        ],
    ]


async def counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM items"),
        await conn.fetchval("SELECT count(*) FROM outbox"),
        await conn.fetchval("SELECT coalesce(sum(last), 0) FROM item_code_counters"),
    )


async def test_organisation_bulk_load(world: dict[str, Any]) -> None:
    org = world["org"]
    assert org["__typename"] == "OrganisationImportSuccess", org
    assert [u["kind"] for u in org["units"]] == ["STREET", "DEPARTMENT", "STREET"]
    people = {(p["name"], p["unit"]["name"] if p["unit"] else None): p for p in org["people"]}
    assert people[("王建国", EAST)]["roles"] == ["UNIT_HEAD"]
    assert sorted(people[("李娜", EAST)]["roles"]) == ["CADRE", "UNIT_SUPERVISOR"]
    assert people[("张伟", HOUSING)]["roles"] == ["CADRE"]
    assert people[("陈区长", None)]["roles"] == ["LEADER"]
    events = await world["conn"].fetchval(
        "SELECT count(*) FROM outbox WHERE subject IN ('tasks.unit.upserted', 'tasks.person.upserted')"
    )
    assert events >= 8

    # the same sheet again changes nothing and creates nobody twice
    again = await world["client"](IMPORT_ORG, {"f": b64(xlsx(ORGANISATION))})
    diff = again["organisationImport"]["diff"]
    assert (diff["created"], diff["updated"], diff["retired"]) == (0, 0, 0), diff
    assert diff["unchanged"] == 8


async def test_bad_organisation_rows_are_listed_and_nothing_is_loaded(
    world: dict[str, Any],
) -> None:
    conn = world["conn"]
    before = (
        await conn.fetchval("SELECT count(*) FROM units"),
        await conn.fetchval("SELECT count(*) FROM people"),
    )
    bad = {
        "单位": [
            ["单位编码", "单位名称", "单位类型"],
            ["N1" + SUFFIX, "新单位" + SUFFIX, "街道"],
            ["N2" + SUFFIX, "另一单位" + SUFFIX, "居委会"],
        ],
        "人员": [
            ["姓名", "所属单位", "手机", "角色", "邮箱"],
            ["赵六", "新单位" + SUFFIX, "138", "科级干部", None],
            ["", EAST, None, None, None],
            ["孙七", "不存在的单位", None, "处长", "bad-email"],
        ],
    }
    result = (await world["client"](IMPORT_ORG, {"f": b64(xlsx(bad))}))["organisationImport"]
    assert result["__typename"] == "LedgerRowsError"
    where = {(e["sheet"], e["row"], e["column"]) for e in result["rowErrors"]}
    assert where == {
        ("单位", 3, "单位类型"),
        ("人员", 2, "手机"),
        ("人员", 3, "姓名"),
        ("人员", 4, "所属单位"),
        ("人员", 4, "角色"),
        ("人员", 4, "邮箱"),
    }
    after = (
        await conn.fetchval("SELECT count(*) FROM units"),
        await conn.fetchval("SELECT count(*) FROM people"),
    )
    assert after == before


async def test_items_import_in_one_go_through_the_create_path(world: dict[str, Any]) -> None:
    conn = world["conn"]
    items_before, outbox_before, _ = await counts(conn)
    data = await world["client"](IMPORT_ITEMS, {"f": b64(xlsx({"督办事项": good_rows()}))})
    result = data["ledgerImportItems"]
    assert result["__typename"] == "LedgerImportItemsSuccess", result
    assert result["createdCount"] == 3
    first, second, third = result["items"]
    assert first["source"] == "KEY_WORK" and first["deadline"] == "2018-09-30"
    assert first["planNodes"] == [
        {"date": "2018-06-30", "percent": 50},
        {"date": "2018-09-30", "percent": 100},
    ]
    assert [u["name"] for u in first["coUnits"]] == [HOUSING]
    assert sorted(o["name"] for o in first["owners"]) == ["张伟", "李娜"]
    assert first["responsibleLeader"]["name"] == "陈区长"
    assert second["source"] == "CONGRESS_PROPOSAL" and second["deadline"] == "2018-12-31"
    assert third["deadline"] == "2018-06-30"  # Excel serial day 43281
    numbers = [int(i["code"].rsplit("-", 1)[1]) for i in result["items"]]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    items_after, outbox_after, _ = await counts(conn)
    assert items_after == items_before + 3
    created = await conn.fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'tasks.item.created'"
        " AND payload->>'aggregate_id' = ANY($1::text[])",
        [i["id"] for i in result["items"]],
    )
    assert created == 3 and outbox_after >= outbox_before + 3


async def test_wrong_rows_are_all_reported_and_nothing_is_imported(world: dict[str, Any]) -> None:
    conn = world["conn"]
    before = await counts(conn)
    rows = good_rows()
    rows += [
        [
            "",
            None,
            "重点工作",
            None,
            None,
            "2018-01-01",
            "2018-02-01",
            None,
            EAST,
            None,
            None,
            None,
            None,
        ],
        [
            "题" * 201,
            None,
            "外星来源",
            9,
            "难",
            "2018-13-01",
            "明天",
            "每季",
            "火星街道",
            "土星局",
            "查无此人",
            "张伟",
            "一季度完成",
        ],
        [
            "时限早于开始",
            None,
            "其他",
            None,
            None,
            "2018-06-01",
            "2018-05-01",
            None,
            EAST,
            None,
            None,
            None,
            None,
        ],
        [
            "节点逆序",
            None,
            "其他",
            None,
            None,
            "2018-01-01",
            "2018-12-31",
            None,
            EAST,
            None,
            None,
            None,
            "2018-06-30 50%；2018-03-31 80%",
        ],
        [
            "牵头又配合",
            None,
            "其他",
            None,
            None,
            "2018-01-01",
            "2018-12-31",
            None,
            EAST,
            EAST,
            None,
            None,
            None,
        ],
    ]
    result = (await world["client"](IMPORT_ITEMS, {"f": b64(xlsx({"督办事项": rows}))}))[
        "ledgerImportItems"
    ]
    assert result["__typename"] == "LedgerRowsError" and result["code"] == "LEDGER_ROWS_INVALID"
    errors = {(e["row"], e["column"]) for e in result["rowErrors"]}
    assert (6, "事项名称") in errors
    assert {
        (7, c)
        for c in [
            "事项名称",
            "事项来源",
            "重要程度",
            "难度系数",
            "开始日期",
            "办理时限",
            "汇报周期",
            "牵头单位",
            "配合单位",
            "分包负责人",
            "具体负责人",
            "计划节点",
        ]
    } <= errors
    assert (8, "办理时限") in errors and (9, "计划节点") in errors and (10, "配合单位") in errors
    ambiguous = [e for e in result["rowErrors"] if e["row"] == 7 and e["column"] == "具体负责人"]
    assert "张伟（单位名称）" in ambiguous[0]["message"]
    assert all(6 <= e["row"] <= 10 for e in result["rowErrors"])
    assert await counts(conn) == before


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("!!!not base64", "VALIDATION"),
        (b64(b""), "VALIDATION"),
        (b64(b"PK\x03\x04 this is not really a zip"), "VALIDATION"),
        (b64(b"\xd0\xcf\x11\xe0 an old .xls file"), "VALIDATION"),
        ("zip", "VALIDATION"),
        (b64(xlsx({"督办事项": [["标题", "截止"], ["x", "y"]]})), "VALIDATION"),
        (b64(xlsx({"督办事项": []})), "VALIDATION"),
        (b64(xlsx({"督办事项": [ITEM_HEADERS]})), "LEDGER_ROWS_INVALID"),
    ],
)
async def test_malformed_files_are_typed_errors(
    world: dict[str, Any], content: str, code: str
) -> None:
    if content == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("hello.txt", "不是表格")
        content = b64(buffer.getvalue())
    before = await counts(world["conn"])
    for mutation, name in ((IMPORT_ITEMS, "ledgerImportItems"), (IMPORT_ORG, "organisationImport")):
        result = (await world["client"](mutation, {"f": content}))[name]
        assert result["__typename"] in ("ValidationError", "LedgerRowsError"), result
        if name == "ledgerImportItems":
            assert result["code"] == code, result
    assert await counts(world["conn"]) == before


async def test_only_the_office_imports(world: dict[str, Any]) -> None:
    head = world["client"].as_(token(world["settings"], "UNIT_HEAD", subject=str(uuid.uuid4())))
    body = await head.raw(IMPORT_ITEMS, {"f": b64(xlsx({"督办事项": good_rows()}))})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await head.raw(IMPORT_ORG, {"f": b64(xlsx(ORGANISATION))})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_export_filters_scopes_and_round_trips(world: dict[str, Any]) -> None:
    client: GraphQLClient = world["client"]
    data = await client(EXPORT, {"f": {"keyword": "背街小巷", "year": 2018}})
    file = data["ledgerExport"]
    assert file["fileName"].endswith(".xlsx") and "spreadsheetml" in file["mimeType"]
    sheet = read_xlsx(file["contentBase64"])["督办事项"]
    assert sheet[0][:13] == ITEM_HEADERS and "事项编号" in sheet[0] and "状态" in sheet[0]
    assert len(sheet) >= 2 and all("背街小巷" in row[0] for row in sheet[1:])
    row = dict(zip(sheet[0], sheet[1], strict=True))
    assert row["事项来源"] == "重点工作" and row["汇报周期"] == "每月"
    assert row["牵头单位"] == EAST and row["状态"] == "已交办"
    assert row["计划节点"] == "2018-06-30 50%；2018-09-30 100%"

    # what the office exported can be imported again as it is — as open look-alikes
    # (重复督查) every row is refused until the office confirms it
    refused = (await client(IMPORT_ITEMS, {"f": file["contentBase64"]}))["ledgerImportItems"]
    assert refused["__typename"] == "LedgerRowsError", refused
    assert len(refused["rowErrors"]) == len(sheet) - 1
    assert all("疑似重复督查" in e["message"] for e in refused["rowErrors"])
    confirmed = IMPORT_ITEMS.replace(
        "{contentBase64: $f}", "{contentBase64: $f, confirmDuplicate: true}"
    )
    again = await client(confirmed, {"f": file["contentBase64"]})
    assert again["ledgerImportItems"]["__typename"] == "LedgerImportItemsSuccess", again
    assert again["ledgerImportItems"]["createdCount"] == len(sheet) - 1

    units = {u["name"]: u["id"] for u in (await client("{ units { id name } }"))["units"]}
    west_head = client.as_(
        token(world["settings"], "UNIT_HEAD", subject=str(uuid.uuid4()), units=[units[WEST]])
    )
    scoped = read_xlsx((await west_head(EXPORT, {"f": None}))["ledgerExport"]["contentBase64"])
    assert {r[8] for r in scoped["督办事项"][1:]} == {WEST}


async def test_statistics_export(world: dict[str, Any]) -> None:
    data = await world["client"]("{ statisticsExport { fileName contentBase64 } }")
    book = read_xlsx(data["statisticsExport"]["contentBase64"])
    assert list(book) == ["总览", "按年度", "按来源", "按单位", "按状态"]
    total = await world["conn"].fetchval("SELECT count(*) FROM items")
    assert book["总览"][1] == ["事项总数", total]
    assert book["按年度"][0][:4] == ["年度", "合计", "已办结", "按期办结"]
    assert EAST in {r[0] for r in book["按单位"][1:]}
    assert "已交办" in {r[0] for r in book["按状态"][1:]}
    assert sum(r[1] for r in book["按年度"][1:]) == total
    assert "重点工作" in {r[0] for r in book["按来源"][1:]}


async def test_ledger_cli(
    world: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = world["settings"].require_database_url()
    out = tmp_path / "ledger.xlsx"
    await asyncio.to_thread(
        main, ["ledger", "export-items", str(out), "--year", "2018", "--database-url", dsn]
    )
    assert load_workbook(out)["督办事项"].max_row >= 4
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsx(
            {
                "督办事项": [
                    ITEM_HEADERS,
                    ["x", None, "外星", None, None, "2018-01-01", "2018-02-01", None, EAST],
                ]
            }
        )
    )
    with pytest.raises(SystemExit):
        await asyncio.to_thread(main, ["ledger", "import-items", str(bad), "--database-url", dsn])
    assert "「事项来源」" in capsys.readouterr().out
