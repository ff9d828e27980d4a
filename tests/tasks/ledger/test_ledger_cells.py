"""Ledger cells (pure): Chinese labels, dates in the forms offices type, lists, plan nodes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.tasks.items.domain import PlanNode, ReportingCycle, Source
from services.tasks.ledger import cells
from services.tasks.ledger.cells import CellError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2018-06-30", date(2018, 6, 30)),
        ("2018/6/3", date(2018, 6, 3)),
        ("2018.06.30", date(2018, 6, 30)),
        ("2018年6月30日", date(2018, 6, 30)),
        ("2018年6月30", date(2018, 6, 30)),
        (" 2018-01-01 ", date(2018, 1, 1)),
        (datetime(2018, 6, 30, 12, 0), date(2018, 6, 30)),
        (date(2017, 1, 1), date(2017, 1, 1)),
        (43281, date(2018, 6, 30)),  # Excel serial day
        (43281.0, date(2018, 6, 30)),
    ],
)
def test_dates(raw: object, expected: date) -> None:
    assert cells.parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", None, "明天", "2018-13-01", "2018-02-30", "30/06/2018", 0, -5, True]
)
def test_bad_dates(raw: object) -> None:
    with pytest.raises(CellError):
        cells.parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("重点工作", Source.KEY_WORK),
        ("人大建议", Source.CONGRESS_PROPOSAL),
        ("人大代表建议", Source.CONGRESS_PROPOSAL),
        ("政协提案", Source.CPPCC_PROPOSAL),
        ("群众诉求", Source.PUBLIC_REQUEST),
        ("major_project", Source.MAJOR_PROJECT),
    ],
)
def test_sources(raw: str, expected: Source) -> None:
    assert cells.parse_source(raw) == expected


@pytest.mark.parametrize("raw", ["", "外星来源", "重点"])
def test_bad_sources(raw: str) -> None:
    with pytest.raises(CellError):
        cells.parse_source(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ReportingCycle.WEEKLY), (None, ReportingCycle.WEEKLY), ("每日", ReportingCycle.DAILY),
     ("双周", ReportingCycle.BIWEEKLY), ("每月", ReportingCycle.MONTHLY), ("weekly", ReportingCycle.WEEKLY)],
)  # fmt: skip
def test_cycles(raw: object, expected: ReportingCycle) -> None:
    assert cells.parse_cycle(raw) == expected


@pytest.mark.parametrize(
    ("raw", "low", "high", "ok"),
    [("1", 1, 5, 1), ("5", 1, 5, 5), (3.0, 1, 5, 3), ("0", 1, 5, None), ("6", 1, 5, None),
     ("二", 1, 5, None), ("1.5", 1, 5, None)],
)  # fmt: skip
def test_ints(raw: object, low: int, high: int, ok: int | None) -> None:
    if ok is None:
        with pytest.raises(CellError):
            cells.parse_int(raw, low, high)
    else:
        assert cells.parse_int(raw, low, high) == ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("2018-03-31 30%", [PlanNode(date(2018, 3, 31), 30)]),
        ("2018-03-31:30；2018-06-30：100%", [PlanNode(date(2018, 3, 31), 30), PlanNode(date(2018, 6, 30), 100)]),
        ("2018年3月31日 30%\n2018/6/30 100", [PlanNode(date(2018, 3, 31), 30), PlanNode(date(2018, 6, 30), 100)]),
    ],
)  # fmt: skip
def test_plan_nodes(raw: str, expected: list[PlanNode]) -> None:
    assert cells.parse_plan_nodes(raw) == expected
    if expected:
        again = cells.format_plan_nodes(
            [{"date": n.date.isoformat(), "percent": n.percent} for n in expected]
        )
        assert cells.parse_plan_nodes(again) == expected


@pytest.mark.parametrize("raw", ["一季度完成", "2018-03-31", "30%", "2018-02-30 30%"])
def test_bad_plan_nodes(raw: str) -> None:
    with pytest.raises(CellError):
        cells.parse_plan_nodes(raw)


def test_lists_roles_people_and_kinds() -> None:
    assert cells.split_list("区住建局、区财政局,区城管局，区交通局;区水利局；区教育局") == [
        "区住建局", "区财政局", "区城管局", "区交通局", "区水利局", "区教育局",
    ]  # fmt: skip
    assert cells.split_list(None) == []
    assert cells.parse_roles("单位主要负责人、科级干部") == ["UNIT_HEAD", "CADRE"]
    assert cells.parse_roles("") == ["CADRE"]
    with pytest.raises(CellError):
        cells.parse_roles("处长")
    assert cells.split_person("张伟（东城街道）") == ("张伟", "东城街道")
    assert cells.split_person("张伟(东城街道)") == ("张伟", "东城街道")
    assert cells.split_person("张伟") == ("张伟", None)
    assert cells.parse_unit_kind("乡镇") == "TOWNSHIP"
    with pytest.raises(CellError):
        cells.parse_unit_kind("居委会")
    assert cells.text(13800000003.0) == "13800000003"
