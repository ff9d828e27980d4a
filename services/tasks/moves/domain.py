"""The office's moves on a running item (pure, table-tested): edit (修改), transfer
(转办), deadline re-set (调整时限) and instructions recorded on a leader's behalf
(代录批示).

None of them re-creates anything: an edit changes fields and records each one's
before/after; a transferred or withdrawn assignment stays as history (ENDED states);
a re-set deadline leaves ``original_deadline`` for assessment.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.core.errors import InvalidTransition, ValidationFailed
from services.tasks.items.domain import PlanNode, validate_schedule
from services.tasks.lifecycle.domain import ENDED_ASSIGNMENT_STATES, STATE_LABELS

# Editable fields, in the order they are reported (snake_case, as stored).
EDITABLE = (
    "title",
    "content",
    "source",
    "source_document_no",
    "owner_ids",
    "responsible_leader_id",
    "co_unit_ids",
    "reporting_cycle",
    "plan_nodes",
)
SCAN_MAX_BYTES = 2 * 1024 * 1024  # a scanned page: 2 MiB
SCAN_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
REPORTED_STATES = frozenset({"IN_PROGRESS", "COMPLETION_REQUESTED", "COMPLETED"})


def jsonable(value: Any) -> Any:
    """A field's value as it goes into the audit trail and the event."""
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before", "after"}} for every field in ``after`` whose value changed."""
    changes = {}
    for name in EDITABLE:
        if name not in after:
            continue
        old, new = jsonable(before.get(name)), jsonable(after[name])
        if old != new:
            changes[name] = {"before": old, "after": new}
    return changes


def added_removed(old: Sequence[Any], new: Sequence[Any]) -> tuple[list[str], list[str]]:
    olds, news = [str(x) for x in old], [str(x) for x in new]
    return [x for x in news if x not in olds], [x for x in olds if x not in news]


def has_reported(assignment: Mapping[str, Any]) -> bool:
    return assignment.get("last_report_at") is not None or assignment["state"] in REPORTED_STATES


def check_co_units(lead: Any, co_units: Sequence[Any]) -> None:
    if str(lead) in {str(u) for u in co_units} or len(set(co_units)) != len(co_units):
        raise ValidationFailed("配合单位不能重复，也不能包含牵头单位", field="coUnitIds")


def check_plan(start: date, deadline: date, nodes: Sequence[PlanNode]) -> None:
    validate_schedule(start, deadline, list(nodes))


def check_withdrawal(assignment: Mapping[str, Any], reason: str) -> None:
    """A co-unit that has reported can be removed only with a reason (history stays)."""
    if has_reported(assignment) and not reason:
        raise ValidationFailed("该配合单位已汇报过进度，移除须说明原因", field="reason")


def check_transfer(
    assignment: Mapping[str, Any], lead: Mapping[str, Any] | None, to_unit_active: bool
) -> None:
    """转办 is allowed after the assignment was returned (退回), or at any time before the
    lead unit has reported; never onto a unit already on the item."""
    state = assignment["state"]
    if state in ENDED_ASSIGNMENT_STATES:
        raise InvalidTransition(
            f"该单位的任务当前状态为「{STATE_LABELS.get(state, state)}」，不能转办", state
        )
    if to_unit_active:
        raise ValidationFailed("接收单位已是该事项的承办单位", field="toUnitId")
    if state == "RETURNED":
        return
    if lead is not None and has_reported(lead):
        raise InvalidTransition(
            "牵头单位已汇报进度，只有退回的任务才能转办", str(lead["state"]), field="fromUnitId"
        )


def check_deadline_reset(
    start: date, current: date, new_deadline: date, nodes: Sequence[PlanNode]
) -> None:
    """调整时限: any open item, overdue or not; the new deadline differs and fits the plan."""
    if new_deadline == current:
        raise ValidationFailed("新的办理时限与当前时限相同", field="newDeadline")
    if new_deadline < start:
        raise ValidationFailed("办理时限不能早于开始日期", field="newDeadline")
    if any(n.date > new_deadline for n in nodes):
        raise ValidationFailed("新的办理时限早于计划节点，请先修改节点", field="newDeadline")


@dataclass(frozen=True)
class Scan:
    name: str
    content_type: str
    data: bytes


def decode_scan(name: str, content_type: str, encoded: str) -> Scan:
    """A scanned instruction page from base64 (PDF, PNG or JPEG, at most 2 MiB)."""
    if content_type not in SCAN_TYPES:
        raise ValidationFailed("扫描件须为 PDF、PNG 或 JPEG", field="scan")
    if len(encoded) > (SCAN_MAX_BYTES * 4) // 3 + 4:
        raise ValidationFailed("扫描件不能超过 2 MB", field="scan")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValidationFailed("扫描件不是有效的 base64 编码", field="scan") from e
    if not data:
        raise ValidationFailed("扫描件不能为空", field="scan")
    if len(data) > SCAN_MAX_BYTES:
        raise ValidationFailed("扫描件不能超过 2 MB", field="scan")
    clean = (name or "").strip()[:200] or "批示扫描件"
    return Scan(clean, content_type, data)


def check_instructed_on(instructed_on: date, today: date) -> None:
    if instructed_on > today:
        raise ValidationFailed("批示日期不能晚于今日", field="instructedOn")
