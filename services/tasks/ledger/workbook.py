"""Opening uploaded workbooks safely and writing styled ones (openpyxl)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.core.errors import ValidationFailed
from services.core.offload import check_size
from services.tasks.ledger.cells import text

MAX_ROWS = 10_000
MIME_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: dict[str, int]  # header text -> column index (0-based)
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values)

    def value(self, row: tuple[Any, ...], header: str) -> Any:
        index = self.headers.get(header)
        return row[index] if index is not None and index < len(row) else None


def open_workbook(content: bytes, field: str = "file") -> Any:
    """The workbook, or a ValidationFailed that says what is wrong with the file."""
    if not content:
        raise ValidationFailed("文件为空", field=field)
    check_size(len(content), "xlsx-read", field)
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ValidationFailed("不是有效的 Excel (.xlsx) 文件", field=field)
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for broken files
        raise ValidationFailed(f"无法读取 Excel 文件: {type(e).__name__}", field=field) from e


def read_sheet(ws: Worksheet, required: Iterable[str], field: str = "file") -> Sheet:
    """Header row = the first row with any text; data rows after it, blank rows skipped."""
    rows = ws.iter_rows(values_only=True)
    headers: dict[str, int] = {}
    header_row = 0
    for number, values in enumerate(rows, 1):
        if any(text(v) for v in values):
            headers = {text(v): i for i, v in enumerate(values) if text(v)}
            header_row = number
            break
    if not headers:
        raise ValidationFailed(f"工作表「{ws.title}」没有表头", field=field)
    missing = [h for h in required if h not in headers]
    if missing:
        raise ValidationFailed(f"工作表「{ws.title}」缺少列: {'、'.join(missing)}", field=field)
    data: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in enumerate(rows, header_row + 1):
        if not any(text(v) for v in values):
            continue
        data.append((number, tuple(values)))
        if len(data) > MAX_ROWS:
            raise ValidationFailed(f"一次最多导入 {MAX_ROWS} 行", field=field)
    return Sheet(ws.title, headers, data)


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")


def write_sheet(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    widths: dict[str, int] | None = None,
) -> Worksheet:
    """A sheet with a bold, frozen header row and sensible column widths."""
    if wb.worksheets and wb.worksheets[0].title == "Sheet" and wb.worksheets[0].max_row == 1:
        ws = wb.worksheets[0]
        ws.title = title
    else:
        ws = wb.create_sheet(title)
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for number, row in enumerate(rows, 2):
        values = list(row)
        ws.append(values)
        for column, value in enumerate(values, 1):
            # text that looks like a formula stays text (no formula injection)
            if isinstance(value, str) and value.startswith("="):
                ws.cell(number, column).data_type = "s"
    ws.freeze_panes = "A2"
    for i, header in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(i)].width = (widths or {}).get(
            header, max(10, len(header) * 2 + 4)
        )
    return ws


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
