"""Ledger workbooks (pure): safe opening, header detection, text never becomes a formula."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from services.core.errors import DomainError, ValidationFailed
from services.tasks.ledger.workbook import open_workbook, read_sheet, save, write_sheet


def test_text_that_looks_like_a_formula_stays_text() -> None:
    wb = Workbook()
    write_sheet(wb, "督办事项", ["事项名称", "备注"], [['=HYPERLINK("http://x")', "=1+1"]])
    ws = load_workbook(io.BytesIO(save(wb)))["督办事项"]
    assert ws["A2"].data_type == "s" and ws["A2"].value == '=HYPERLINK("http://x")'
    assert ws["B2"].data_type == "s"
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold


def test_header_is_the_first_non_blank_row_and_blank_rows_are_skipped() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([None, None])
    ws.append(["事项名称", "牵头单位"])
    ws.append(["甲", "东城街道"])
    ws.append([None, "  "])
    ws.append(["乙", "西城街道"])
    sheet = read_sheet(open_workbook(save(wb)).worksheets[0], ["事项名称"])
    assert sheet.headers == {"事项名称": 0, "牵头单位": 1}
    assert [n for n, _ in sheet.rows] == [3, 5]
    assert sheet.value(sheet.rows[1][1], "牵头单位") == "西城街道"
    assert sheet.value(sheet.rows[1][1], "没有这列") is None
    with pytest.raises(ValidationFailed, match="缺少列: 办理时限"):
        read_sheet(open_workbook(save(wb)).worksheets[0], ["事项名称", "办理时限"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"name,deadline\n", "不是有效的 Excel"),
        (b"PK\x03\x04broken", "不是有效的 Excel"),
        (b"x" * (20 * 1024 * 1024 + 1), "超过 20 MB"),
    ],
)
def test_bad_files(content: bytes, message: str) -> None:
    with pytest.raises(DomainError, match=message) as raised:
        open_workbook(content)
    assert raised.value.code == ("TOO_LARGE" if "MB" in message else "VALIDATION")
