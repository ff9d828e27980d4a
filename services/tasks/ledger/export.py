"""Export filtered items and statistics to .xlsx with Chinese headers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
from openpyxl import Workbook

from services.core import clock
from services.core.offload import off_loop
from services.tasks.access import Scope
from services.tasks.items.domain import SOURCE_LABELS, Source
from services.tasks.items.store import ItemFilter, item_statistics
from services.tasks.ledger import cells, store
from services.tasks.ledger.workbook import save, write_sheet

MAX_EXPORT = 200_000

# The first 13 columns are exactly the import headers, so an export can be re-imported.
EXPORT_HEADERS = [
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
    "事项编号",
    "原定时限",
    "状态",
    "立项时间",
    "办结时间",
]
WIDTHS = {"事项名称": 40, "事项内容": 50, "配合单位": 30, "具体负责人": 20, "计划节点": 36}


def _source_label(value: str) -> str:
    try:
        return SOURCE_LABELS[Source(value)]
    except ValueError:
        return value


def _local(ts: datetime | None) -> str:
    return ts.astimezone(clock.local_tz()).strftime("%Y-%m-%d %H:%M") if ts else ""


def _cycle_label(value: str) -> str:
    for cycle, label in cells.CYCLE_LABELS.items():
        if cycle.value == value:
            return label
    return value


async def export_items(conn: asyncpg.Connection, f: ItemFilter, scope: Scope | None) -> bytes:
    """The items the filter lists for this scope (None: everything), re-importable."""
    rows = await store.list_items_for_ledger(conn, f, scope, MAX_EXPORT)
    return await off_loop(_items_workbook, rows, what="xlsx-items")


def _items_workbook(rows: list[Any]) -> bytes:
    wb = Workbook()
    write_sheet(
        wb,
        "督办事项",
        EXPORT_HEADERS,
        (
            [
                r["title"],
                r["content"],
                _source_label(r["source"]),
                r["importance"],
                float(r["difficulty"]),
                r["start_date"],
                r["deadline"],
                _cycle_label(r["reporting_cycle"]),
                r["lead_unit_name"],
                "、".join(r["co_unit_names"] or []),
                r["leader_name"] or "",
                "、".join(r["owner_names"] or []),
                cells.format_plan_nodes(r["plan_nodes"]),
                r["code"],
                r["original_deadline"],
                cells.STATE_LABELS.get(r["state"], r["state"]),
                _local(r["created_at"]),
                _local(r["completed_at"]),
            ]
            for r in rows
        ),
        WIDTHS,
    )
    ws = wb.active
    assert ws is not None
    for column in ("F", "G", "O"):
        for cell in ws[column][1:]:
            cell.number_format = "yyyy-mm-dd"
    return save(wb)


STAT_COLUMNS = [
    ("total", "合计"),
    ("completed", "已办结"),
    ("completed_on_time", "按期办结"),
    ("open", "在办"),
    ("on_track", "在办未逾期"),
    ("overdue", "逾期未办结"),
    ("suspended", "已暂停"),
    ("cancelled", "已撤销"),
]
DIMENSIONS = [
    ("YEAR", "按年度", "年度"),
    ("SOURCE", "按来源", "事项来源"),
    ("UNIT", "按单位", "单位（牵头或配合）"),
    ("STATE", "按状态", "状态"),
]


def _rate(part: int, total: int) -> str:
    return f"{part / total:.1%}" if total else "—"


async def export_statistics(
    conn: asyncpg.Connection, f: ItemFilter, scope: Scope | None, today: date
) -> bytes:
    """An overview and one sheet per dimension, counted as the statistics query counts."""
    by_dimension = {d: await item_statistics(conn, d, today, f, scope) for d, _, _ in DIMENSIONS}
    names = await store.unit_names(conn)
    generated = clock.now().astimezone(clock.local_tz()).strftime("%Y-%m-%d %H:%M")
    return await off_loop(
        _statistics_workbook, by_dimension, names, today, generated, what="xlsx-statistics"
    )


def _statistics_workbook(
    by_dimension: dict[str, list[Any]], names: dict[str, str], today: date, generated: str
) -> bytes:
    wb = Workbook()
    by_year = by_dimension["YEAR"]
    totals = {key: sum(r[key] for r in by_year) for key, _ in STAT_COLUMNS}
    write_sheet(
        wb,
        "总览",
        ["指标", "数值"],
        [
            ["事项总数", totals["total"]],
            ["已办结", totals["completed"]],
            ["其中按期办结", totals["completed_on_time"]],
            ["在办", totals["open"]],
            ["已办结或正常推进", totals["completed"] + totals["on_track"]],
            ["逾期未办结", totals["overdue"]],
            ["办结率", _rate(totals["completed"], totals["total"])],
            ["按期办结率", _rate(totals["completed_on_time"], totals["completed"])],
            ["统计日期", today.isoformat()],
            ["生成时间", generated],
        ],
        {"指标": 20, "数值": 20},
    )
    for dimension, title, label in DIMENSIONS:
        rows = by_dimension[dimension]
        if dimension == "UNIT":  # busiest units first
            rows = sorted(rows, key=lambda r: (-r["total"], names.get(r["key"], r["key"])))

        def key_label(key: str, dimension: str = dimension) -> str:
            if dimension == "SOURCE":
                return _source_label(key)
            if dimension == "UNIT":
                return names.get(key, key)
            if dimension == "STATE":
                return cells.STATE_LABELS.get(key, key)
            return key

        write_sheet(
            wb,
            title,
            [label, *(h for _, h in STAT_COLUMNS), "办结率"],
            (
                [
                    key_label(r["key"]),
                    *(r[k] for k, _ in STAT_COLUMNS),
                    _rate(r["completed"], r["total"]),
                ]
                for r in rows
            ),
            {label: 24},
        )
    return save(wb)
