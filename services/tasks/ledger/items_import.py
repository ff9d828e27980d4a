"""Import supervision items from a .xlsx ledger: every row checked, then all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from services.core.auth import Principal, Role
from services.core.errors import DomainError, Forbidden
from services.core.offload import off_loop
from services.tasks.items import service
from services.tasks.items.domain import CONTENT_MAX, TITLE_MAX, clean_text, validate_schedule
from services.tasks.ledger import cells
from services.tasks.ledger.cells import CellError, RowError
from services.tasks.ledger.errors import LedgerRejected
from services.tasks.ledger.resolve import Directory
from services.tasks.ledger.workbook import Sheet, open_workbook, read_sheet

SHEET_NAME = "督办事项"
HEADERS = [
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
REQUIRED = ["事项名称", "事项来源", "开始日期", "办理时限", "牵头单位"]

# error field of a use-case → the column to point at
FIELD_COLUMNS = {
    "title": "事项名称",
    "content": "事项内容",
    "source": "事项来源",
    "importance": "重要程度",
    "difficulty": "难度系数",
    "startDate": "开始日期",
    "deadline": "办理时限",
    "reportingCycle": "汇报周期",
    "leadUnitId": "牵头单位",
    "coUnitIds": "配合单位",
    "responsibleLeaderId": "分包负责人",
    "ownerIds": "具体负责人",
    "planNodes": "计划节点",
    "sourceDocumentNo": "文号",
}


def parse_row(
    sheet: Sheet, number: int, values: tuple[Any, ...], directory: Directory
) -> tuple[service.NewItem | None, list[RowError]]:
    """A row → the new item, or the errors of every cell that is wrong (pure but lookups)."""
    errors: list[RowError] = []
    got: dict[str, Any] = {}

    def cell(header: str, parse: Callable[[Any], Any], required: bool = False) -> None:
        raw = sheet.value(values, header)
        if not cells.text(raw):
            if required:
                errors.append(RowError(sheet.name, number, header, "不能为空"))
                return
        try:
            got[header] = parse(raw)
        except (CellError, DomainError) as e:
            errors.append(RowError(sheet.name, number, header, str(e)))

    cell("事项名称", lambda v: clean_text(cells.text(v), "事项名称", TITLE_MAX), True)
    cell("事项内容", lambda v: clean_text(cells.text(v), "事项内容", CONTENT_MAX, False))
    cell("事项来源", cells.parse_source, True)
    cell("重要程度", lambda v: cells.parse_int(v, 1, 5) if cells.text(v) else 1)
    cell("难度系数", lambda v: cells.parse_float(v, 0.1, 10) if cells.text(v) else 1.0)
    cell("开始日期", cells.parse_date, True)
    cell("办理时限", cells.parse_date, True)
    cell("汇报周期", cells.parse_cycle)
    cell("牵头单位", lambda v: directory.unit(cells.text(v)), True)
    cell("配合单位", lambda v: [directory.unit(u) for u in cells.split_list(v)])
    cell("分包负责人", lambda v: directory.person(cells.text(v)) if cells.text(v) else None)
    cell("具体负责人", lambda v: [directory.person(p) for p in cells.split_list(v)])
    cell("计划节点", cells.parse_plan_nodes)
    cell("文号", lambda v: cells.text(v) or None)
    if errors:
        return None, errors
    if got["牵头单位"] in got["配合单位"]:
        return None, [RowError(sheet.name, number, "配合单位", "牵头单位不能同时是配合单位")]
    try:
        validate_schedule(got["开始日期"], got["办理时限"], got["计划节点"])
    except DomainError as e:
        return None, [RowError(sheet.name, number, FIELD_COLUMNS.get(e.field or ""), e.message)]
    return (
        service.NewItem(
            title=got["事项名称"],
            content=got["事项内容"],
            source=got["事项来源"],
            importance=got["重要程度"],
            difficulty=got["难度系数"],
            start_date=got["开始日期"],
            deadline=got["办理时限"],
            reporting_cycle=got["汇报周期"],
            lead_unit_id=got["牵头单位"],
            co_unit_ids=got["配合单位"],
            responsible_leader_id=got["分包负责人"],
            owner_ids=got["具体负责人"],
            plan_nodes=got["计划节点"],
            source_document_no=got.get("文号"),
        ),
        [],
    )


def _sheet_of(workbook: Any) -> Any:
    return workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]


def _read(content: bytes) -> Sheet:
    workbook = open_workbook(content)
    try:
        return read_sheet(_sheet_of(workbook), REQUIRED)
    finally:
        workbook.close()


def _parse_rows(
    sheet: Sheet, directory: Directory, confirm_duplicate: bool
) -> tuple[list[tuple[int, service.NewItem]], list[RowError]]:
    parsed: list[tuple[int, service.NewItem]] = []
    errors: list[RowError] = []
    for number, values in sheet.rows:
        new, row_errors = parse_row(sheet, number, values, directory)
        errors += row_errors
        if new is not None:
            new.confirm_duplicate = confirm_duplicate
            parsed.append((number, new))
    return parsed, errors


async def import_items(
    pool: asyncpg.Pool, principal: Principal, content: bytes, confirm_duplicate: bool = False
) -> list[asyncpg.Record]:
    """Create every row's item in one transaction, or none (LedgerRejected lists why).

    A row that looks like an open item (or an earlier row) is refused as a suspected
    duplicate (重复督查) unless ``confirm_duplicate``."""
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以导入台账")
    sheet = await off_loop(_read, content, what="xlsx-read")
    async with pool.acquire() as conn:
        directory = await Directory.load(conn)
    parsed, errors = await off_loop(
        _parse_rows, sheet, directory, confirm_duplicate, what="xlsx-parse"
    )
    if errors:
        raise LedgerRejected(errors)
    if not parsed:
        raise LedgerRejected([RowError(sheet.name, 2, None, "没有可导入的数据行")])
    created: list[asyncpg.Record] = []
    async with pool.acquire() as conn, conn.transaction():
        for number, new in parsed:
            try:  # the use-case's transaction is a savepoint in this one
                created.append(await service.create_item(conn, principal, new))
            except DomainError as e:
                column = FIELD_COLUMNS.get(e.field or "")
                errors.append(RowError(sheet.name, number, column, e.message))
        if errors:
            raise LedgerRejected(errors)  # rolls the whole import back
    return created
