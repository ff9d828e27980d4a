"""Reading and writing ledger cells (pure): Chinese labels, dates, lists, plan nodes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.core.auth import Role
from services.tasks.items.domain import SOURCE_LABELS, ItemState, PlanNode, ReportingCycle, Source


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user (Chinese)."""


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # 1-based Excel row number
    column: str | None  # the Chinese header
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} 第{self.row}行" + (f"「{self.column}」" if self.column else "")
        return f"{where}: {self.message}"


SOURCE_BY_LABEL: dict[str, Source] = {label: s for s, label in SOURCE_LABELS.items()}
SOURCE_BY_LABEL.update(
    {"人大代表建议": Source.CONGRESS_PROPOSAL, "政协委员提案": Source.CPPCC_PROPOSAL}
)

CYCLE_LABELS: dict[ReportingCycle, str] = {
    ReportingCycle.DAILY: "每日",
    ReportingCycle.WEEKLY: "每周",
    ReportingCycle.BIWEEKLY: "每两周",
    ReportingCycle.MONTHLY: "每月",
}
CYCLE_BY_LABEL: dict[str, ReportingCycle] = {label: c for c, label in CYCLE_LABELS.items()}
CYCLE_BY_LABEL.update({"每天": ReportingCycle.DAILY, "双周": ReportingCycle.BIWEEKLY})

STATE_LABELS: dict[str, str] = {
    ItemState.DRAFT: "草稿",
    ItemState.ASSIGNED: "已交办",
    ItemState.IN_PROGRESS: "办理中",
    ItemState.COMPLETION_REQUESTED: "申请办结",
    ItemState.COMPLETED: "已办结",
    ItemState.SUSPENDED: "已暂停",
    ItemState.CANCELLED: "已撤销",
}

UNIT_KIND_LABELS: dict[str, str] = {
    "STREET": "街道",
    "TOWNSHIP": "乡镇",
    "DEPARTMENT": "区直部门",
    "OTHER": "其他",
}
UNIT_KIND_BY_LABEL = {label: kind for kind, label in UNIT_KIND_LABELS.items()}

ROLE_LABELS: dict[Role, str] = {
    Role.LEADER: "区领导",
    Role.SUPERVISION_OFFICE: "督查办",
    Role.UNIT_HEAD: "单位主要负责人",
    Role.UNIT_SUPERVISOR: "单位督查员",
    Role.CADRE: "科级干部",
    Role.INTEGRATION: "系统对接",
}
ROLE_BY_LABEL: dict[str, Role] = {label: r for r, label in ROLE_LABELS.items()}

_LIST_SPLIT = re.compile(r"[、,，;；/\n]+")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
_NODE = re.compile(r"^(.+?)[\s:：]+(\d{1,3})\s*%?$")
EXCEL_EPOCH = date(1899, 12, 30)


def text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_list(value: object) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(text(value)) if p.strip()]


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return EXCEL_EPOCH + timedelta(days=int(value))  # an Excel serial day number
    raw = text(value)
    for pattern in _DATE_PATTERNS:
        if m := pattern.match(raw):
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise CellError(f"无法识别的日期: {raw or '（空）'}，请写作 2018-06-30")


def parse_int(value: object, low: int, high: int) -> int:
    raw = text(value)
    try:
        number = int(raw)
    except ValueError as e:
        raise CellError(f"须为 {low}–{high} 的整数: {raw}") from e
    if not low <= number <= high:
        raise CellError(f"须为 {low}–{high} 的整数: {raw}")
    return number


def parse_float(value: object, low: float, high: float) -> float:
    raw = text(value)
    try:
        number = float(raw)
    except ValueError as e:
        raise CellError(f"须为 {low}–{high} 的数字: {raw}") from e
    if not low <= number <= high:
        raise CellError(f"须为 {low}–{high} 的数字: {raw}")
    return number


def parse_source(value: object) -> Source:
    raw = text(value)
    if raw in SOURCE_BY_LABEL:
        return SOURCE_BY_LABEL[raw]
    if raw.upper() in Source.__members__:
        return Source(raw.upper())
    raise CellError(f"未知的事项来源: {raw}（可选: {'、'.join(SOURCE_LABELS.values())}）")


def parse_cycle(value: object) -> ReportingCycle:
    raw = text(value)
    if not raw:
        return ReportingCycle.WEEKLY
    if raw in CYCLE_BY_LABEL:
        return CYCLE_BY_LABEL[raw]
    if raw.upper() in ReportingCycle.__members__:
        return ReportingCycle(raw.upper())
    raise CellError(f"未知的汇报周期: {raw}（可选: {'、'.join(CYCLE_LABELS.values())}）")


def parse_unit_kind(value: object) -> str:
    raw = text(value)
    if raw in UNIT_KIND_BY_LABEL:
        return UNIT_KIND_BY_LABEL[raw]
    if raw.upper() in UNIT_KIND_LABELS:
        return raw.upper()
    raise CellError(f"未知的单位类型: {raw}（可选: 街道、乡镇、区直部门、其他）")


def parse_roles(value: object) -> list[str]:
    roles = []
    for part in split_list(value):
        if part in ROLE_BY_LABEL:
            roles.append(ROLE_BY_LABEL[part].value)
        elif part.upper() in Role.__members__:
            roles.append(part.upper())
        else:
            raise CellError(f"未知的角色: {part}（可选: {'、'.join(ROLE_LABELS.values())}）")
    return roles or [Role.CADRE.value]


def parse_plan_nodes(value: object) -> list[PlanNode]:
    """``2018-03-31 30%；2018-06-30 100%`` (separators: ；; 、 newline; 30 or 30%)."""
    nodes = []
    for part in re.split(r"[;；、\n]+", text(value)):
        part = part.strip()
        if not part:
            continue
        m = _NODE.match(part)
        if not m:
            raise CellError(f"无法识别的计划节点: {part}，请写作 2018-03-31 30%")
        nodes.append(PlanNode(parse_date(m[1].strip()), int(m[2])))
    return nodes


def format_plan_nodes(nodes: list[dict[str, object]]) -> str:
    return "；".join(f"{n['date']} {n['percent']}%" for n in nodes)


def split_person(label: str) -> tuple[str, str | None]:
    """``张三（东城街道）`` → (张三, 东城街道); a bare name → (name, None)."""
    m = re.match(r"^(.+?)[（(](.+)[）)]$", label.strip())
    return (m[1].strip(), m[2].strip()) if m else (label.strip(), None)
