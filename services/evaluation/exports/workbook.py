"""Excel exports (Chinese headers): cadre rankings and the period bulletin (通报)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.evaluation.units.domain import UnitResult

RANKING_HEADERS = [
    "名次",
    "组内名次",
    "职级组",
    "姓名",
    "单位",
    "政绩得分",
    "记录条数",
    "归一化得分",
    "选拔综合得分",
    "红色预警事项数",
]
UNIT_HEADERS = [
    "类别",
    "名次",
    "单位",
    "工作量得分",
    "难度得分",
    "成效得分",
    "总分",
    "一票否决",
    "否决理由",
]


def _sheet(
    wb: Workbook, title: str, headers: list[str], rows: Sequence[Sequence[Any]], first: bool
) -> None:
    ws = wb.active if first else wb.create_sheet()
    assert ws is not None
    ws.title = title
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    ws.freeze_panes = "A2"
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(h) * 2 + 2)


def _bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cadre_rows(
    standings: Sequence[Any], people: Mapping[str, Any], units: Mapping[str, Any]
) -> list[list[Any]]:
    rows = []
    for s in standings:
        person = people.get(s.person_id)
        unit = units.get(str(person["unit_id"])) if person and person["unit_id"] else None
        rows.append(
            [
                s.rank,
                s.rank_in_group,
                s.group,
                person["name"] if person else s.person_id,
                unit["name"] if unit else "",
                s.score,
                s.entries,
                s.normalised,
                s.composite if s.composite is not None else "未完整录入",
                s.red_items,
            ]
        )
    return rows


def unit_rows(results: Sequence[UnitResult], units: Mapping[str, Any]) -> list[list[Any]]:
    return [
        [
            r.category,
            r.rank,
            units[r.unit_id]["name"] if r.unit_id in units else r.unit_id,
            r.workload_score,
            r.difficulty_score,
            r.effect_score,
            r.total,
            "是" if r.failed else "否",
            r.veto_reason or "",
        ]
        for r in results
    ]


def flag_rows(flags: Sequence[Any], people: Mapping[str, Any]) -> list[list[Any]]:
    return [
        [
            people[str(f["person_id"])]["name"]
            if str(f["person_id"]) in people
            else str(f["person_id"]),
            f["evidence"].get("label") or f["rule_code"],
            "能上" if f["direction"] == "UP" else "能下",
            "; ".join(f"{k}: {v}" for k, v in f["evidence"].items() if k != "label"),
        ]
        for f in flags
    ]


def rankings_workbook(period_name: str, cadres: list[list[Any]]) -> bytes:
    wb = Workbook()
    _sheet(wb, "干部政绩排名", RANKING_HEADERS, cadres, True)
    wb.properties.title = f"{period_name} 干部政绩排名"
    return _bytes(wb)


def bulletin_workbook(
    period_name: str, units: list[list[Any]], cadres: list[list[Any]], flags: list[list[Any]]
) -> bytes:
    wb = Workbook()
    _sheet(wb, "单位差异化评价", UNIT_HEADERS, units, True)
    _sheet(wb, "干部政绩排名", RANKING_HEADERS, cadres, False)
    _sheet(wb, "能上能下预警", ["姓名", "规则", "方向", "依据"], flags, False)
    wb.properties.title = f"{period_name} 督查考核通报"
    return _bytes(wb)
