"""Through the gateway: bulk-load a unit, import a ledger, issue and sign a notice,
print it, read the audit trail and export the ledger — with tokens of several roles."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta

import docx
from openpyxl import Workbook, load_workbook

from services.core.clock import today as district_today
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, token


def workbook(sheets: dict[str, list[list[object]]]) -> str:
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


async def test_records_through_the_gateway(gateway: GraphQLClient, settings: Settings) -> None:
    tag = uuid.uuid4().hex[:4]
    unit = f"和平街道{tag}"
    org = await gateway(
        "mutation ($f: String!) { organisationImport(input: {contentBase64: $f}) {"
        " __typename ... on OrganisationImportSuccess { units { id } people { id name } } } }",
        {
            "f": workbook(
                {
                    "单位": [["单位编码", "单位名称", "单位类型"], [f"P{tag}", unit, "街道"]],
                    "人员": [
                        ["姓名", "所属单位", "职级", "职务", "角色"],
                        [f"刘书记{tag}", unit, "正科", "党工委书记", "单位主要负责人"],
                        [f"何科长{tag}", unit, "副科", "城管科科长", "科级干部"],
                    ],
                }
            )
        },
    )
    loaded = org["organisationImport"]
    assert loaded["__typename"] == "OrganisationImportSuccess", loaded
    unit_id = loaded["units"][0]["id"]
    head_id, owner_id = (p["id"] for p in loaded["people"])

    imported = await gateway(
        "mutation ($f: String!) { ledgerImportItems(input: {contentBase64: $f}) {"
        " __typename ... on LedgerImportItemsSuccess { items { id code } } } }",
        {
            "f": workbook(
                {
                    "督办事项": [
                        ["事项名称", "事项来源", "开始日期", "办理时限", "牵头单位", "具体负责人"],
                        [f"整治占道经营{tag}", "群众诉求", "2018-05-02", "2099-12-31", unit,
                         f"何科长{tag}"],
                    ]
                }
            )
        },
    )  # fmt: skip
    item = imported["ledgerImportItems"]["items"][0]

    issued = await gateway(
        "mutation ($i: NoticeIssueInput!) { noticeIssue(input: $i) {"
        " __typename ... on NoticeIssueSuccess { notice { id code } } } }",
        {
            "i": {
                "itemId": item["id"],
                "recipients": [
                    {"personId": head_id, "role": "UNIT_HEAD"},
                    {"personId": owner_id, "role": "OWNER"},
                ],
                "responseDeadline": (district_today() + timedelta(days=3)).isoformat(),
            }
        },
    )
    notice = issued["noticeIssue"]["notice"]
    assert notice["code"].startswith("督查通知〔")

    head = gateway.as_(token(settings, "UNIT_HEAD", subject=head_id, units=[unit_id]))
    signed = await head(
        "mutation ($n: ID!) { noticeAcknowledge(input: {noticeId: $n}) { __typename } }",
        {"n": notice["id"]},
    )
    assert signed["noticeAcknowledge"]["__typename"] == "NoticeAcknowledgeSuccess"
    printed = await head(
        "query ($n: ID!) { noticeDocument(id: $n) { contentBase64 } }", {"n": notice["id"]}
    )
    document = docx.Document(
        io.BytesIO(base64.b64decode(printed["noticeDocument"]["contentBase64"]))
    )
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert f"刘书记{tag}" in cells and "已签收" in cells

    trail_query = "query ($i: ID!) { auditTrail(itemId: $i) { entries { action actorId hash } } }"
    trail = await head(trail_query, {"i": item["id"]})
    actions = [e["action"] for e in trail["auditTrail"]["entries"]]
    assert "notice.issued" in actions and "notice.acknowledged" in actions
    stranger = gateway.as_(
        token(settings, "UNIT_HEAD", subject=str(uuid.uuid4()), units=[str(uuid.uuid4())])
    )
    assert (await stranger(trail_query, {"i": item["id"]}))["auditTrail"]["entries"] == []

    exported = await head(
        "query ($k: String) { ledgerExport(filter: {keyword: $k}) { contentBase64 } }",
        {"k": tag},
    )
    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["ledgerExport"]["contentBase64"])))
    rows = list(sheet["督办事项"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [f"整治占道经营{tag}"]
