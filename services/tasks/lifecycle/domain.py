"""Lifecycle of a supervision item and of each unit's assignment (pure, table-tested).

An item has one assignment per unit (lead and co-units, 同步受理). The office
assigns (交办); each unit signs for it (签收) or returns it with a reason (退回);
reports progress (进度汇报); requests completion (申请办结); the office verifies
(核实) or sends back. The item is completed (办结) when every assignment is
completed (同时办结). The office suspends, resumes and cancels whole items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from services.contracts import tasks as ev
from services.core.errors import Conflict, InvalidTransition, ValidationFailed
from services.tasks.items.domain import ItemState, clean_text

REASON_MAX = 1000
NARRATIVE_MAX = 5000
IDEMPOTENCY_KEY_MAX = 100


class AssignmentState(StrEnum):
    ASSIGNED = "ASSIGNED"  # 已交办, awaiting 签收
    SIGNED = "SIGNED"  # 已签收
    RETURNED = "RETURNED"  # 已退回
    IN_PROGRESS = "IN_PROGRESS"  # 办理中 (at least one report)
    COMPLETION_REQUESTED = "COMPLETION_REQUESTED"  # 申请办结
    COMPLETED = "COMPLETED"  # 已办结
    TRANSFERRED = "TRANSFERRED"  # 已转办 (to another unit; history only)
    WITHDRAWN = "WITHDRAWN"  # 已撤出 (a co-unit removed by an edit; history only)


# Assignments that left the item (TRANSFERRED, WITHDRAWN): kept as history, never
# coloured, scored or counted when deriving the item's state (the contract names them).
ENDED_ASSIGNMENT_STATES = ev.ENDED_ASSIGNMENT_STATES


class AssignmentAction(StrEnum):
    SIGN = "SIGN"
    RETURN = "RETURN"
    REASSIGN = "REASSIGN"
    REPORT = "REPORT"
    REQUEST_COMPLETION = "REQUEST_COMPLETION"
    VERIFY = "VERIFY"
    SEND_BACK = "SEND_BACK"


class ItemAction(StrEnum):
    SUSPEND = "SUSPEND"
    RESUME = "RESUME"
    CANCEL = "CANCEL"
    CHASE = "CHASE"
    INSTRUCT = "INSTRUCT"
    REQUEST_EXTENSION = "REQUEST_EXTENSION"
    DECIDE_EXTENSION = "DECIDE_EXTENSION"
    VERIFY_REPORT = "VERIFY_REPORT"
    UPDATE = "UPDATE"
    TRANSFER = "TRANSFER"
    RESET_DEADLINE = "RESET_DEADLINE"


A = AssignmentState
OPEN_ITEM_STATES = frozenset(
    {ItemState.ASSIGNED, ItemState.IN_PROGRESS, ItemState.COMPLETION_REQUESTED}
)

ASSIGNMENT_TRANSITIONS: dict[tuple[AssignmentState, AssignmentAction], AssignmentState] = {
    (A.ASSIGNED, AssignmentAction.SIGN): A.SIGNED,
    (A.ASSIGNED, AssignmentAction.RETURN): A.RETURNED,
    (A.RETURNED, AssignmentAction.REASSIGN): A.ASSIGNED,
    (A.SIGNED, AssignmentAction.REPORT): A.IN_PROGRESS,
    (A.IN_PROGRESS, AssignmentAction.REPORT): A.IN_PROGRESS,
    (A.SIGNED, AssignmentAction.REQUEST_COMPLETION): A.COMPLETION_REQUESTED,
    (A.IN_PROGRESS, AssignmentAction.REQUEST_COMPLETION): A.COMPLETION_REQUESTED,
    (A.COMPLETION_REQUESTED, AssignmentAction.VERIFY): A.COMPLETED,
    (A.COMPLETION_REQUESTED, AssignmentAction.SEND_BACK): A.IN_PROGRESS,
}

# Item-level actions and the item states they are allowed in.
ITEM_ACTION_STATES: dict[ItemAction, frozenset[ItemState]] = {
    ItemAction.SUSPEND: OPEN_ITEM_STATES,
    ItemAction.RESUME: frozenset({ItemState.SUSPENDED}),
    ItemAction.CANCEL: OPEN_ITEM_STATES | {ItemState.SUSPENDED},
    ItemAction.CHASE: OPEN_ITEM_STATES,
    ItemAction.INSTRUCT: OPEN_ITEM_STATES | {ItemState.SUSPENDED, ItemState.COMPLETED},
    ItemAction.REQUEST_EXTENSION: OPEN_ITEM_STATES,
    ItemAction.DECIDE_EXTENSION: OPEN_ITEM_STATES,
    ItemAction.VERIFY_REPORT: OPEN_ITEM_STATES | {ItemState.COMPLETED},
    ItemAction.UPDATE: OPEN_ITEM_STATES | {ItemState.SUSPENDED},
    ItemAction.TRANSFER: OPEN_ITEM_STATES,
    ItemAction.RESET_DEADLINE: OPEN_ITEM_STATES,
}

STATE_LABELS: dict[str, str] = {
    "DRAFT": "草稿",
    "ASSIGNED": "已交办",
    "SIGNED": "已签收",
    "RETURNED": "已退回",
    "IN_PROGRESS": "办理中",
    "COMPLETION_REQUESTED": "申请办结",
    "COMPLETED": "已办结",
    "SUSPENDED": "已暂停",
    "CANCELLED": "已撤销",
    "TRANSFERRED": "已转办",
    "WITHDRAWN": "已撤出",
}


def _label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def check_item_action(item_state: str, action: ItemAction) -> None:
    """Raise InvalidTransition (naming the current state) unless allowed."""
    if ItemState(item_state) not in ITEM_ACTION_STATES[action]:
        raise InvalidTransition(
            f"事项当前状态为「{_label(item_state)}」，不能执行 {action.value}", item_state
        )


def next_assignment_state(
    item_state: str, assignment_state: str, action: AssignmentAction
) -> AssignmentState:
    """The assignment's state after ``action``; the item must be open."""
    if ItemState(item_state) not in OPEN_ITEM_STATES:
        raise InvalidTransition(
            f"事项当前状态为「{_label(item_state)}」，不能执行 {action.value}", item_state
        )
    target = ASSIGNMENT_TRANSITIONS.get((AssignmentState(assignment_state), action))
    if target is None:
        raise InvalidTransition(
            f"该单位的任务当前状态为「{_label(assignment_state)}」，不能执行 {action.value}",
            assignment_state,
        )
    return target


def derive_item_state(current: str, assignment_states: Iterable[str]) -> ItemState:
    """The item's state that follows from its assignments (closed states stay)."""
    state = ItemState(current)
    if state not in OPEN_ITEM_STATES:
        return state
    states = [AssignmentState(s) for s in assignment_states if s not in ENDED_ASSIGNMENT_STATES]
    if states and all(s == A.COMPLETED for s in states):
        return ItemState.COMPLETED
    if states and all(s in (A.COMPLETION_REQUESTED, A.COMPLETED) for s in states):
        return ItemState.COMPLETION_REQUESTED
    if any(s not in (A.ASSIGNED, A.RETURNED) for s in states):
        return ItemState.IN_PROGRESS
    return ItemState.ASSIGNED


def resume_state(assignment_states: Iterable[str]) -> ItemState:
    """The open state an item returns to when resumed."""
    return derive_item_state(ItemState.ASSIGNED, assignment_states)


# --- inputs -----------------------------------------------------------------------


def require_reason(value: str | None, field: str = "reason") -> str:
    return clean_text(value or "", field, REASON_MAX)


def check_percent(previous: int, new: int, decrease_reason: str | None) -> str | None:
    """0–100; never below the previous report unless a reason is given."""
    if not 0 <= new <= 100:
        raise ValidationFailed("进度须在 0–100 之间", field="percent")
    reason = clean_text(decrease_reason or "", "decreaseReason", REASON_MAX, required=False)
    if new < previous and not reason:
        raise ValidationFailed(
            f"进度不能低于上次汇报的 {previous}%，除非说明原因", field="decreaseReason"
        )
    return reason or None


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    text = key.strip()
    if not text or len(text) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed("幂等键须为 1–100 个字符", field="idempotencyKey")
    return text


def check_extension_request(today: date, deadline: date, new_deadline: date) -> None:
    """An extension is asked for before the deadline passes, for a later date."""
    if today > deadline:
        raise ValidationFailed("已超过办理时限，不能再申请延期", field="newDeadline")
    if new_deadline <= deadline:
        raise ValidationFailed("延期后的时限须晚于当前时限", field="newDeadline")


def check_extension_pending(state: str) -> None:
    if state != "PENDING":
        raise Conflict(f"该延期申请已处理（{state}）", field="extensionId")
