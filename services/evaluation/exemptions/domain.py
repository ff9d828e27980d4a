"""Exemptions (容错免责, pure): the eight case types and who may request or decide."""

from __future__ import annotations

from services.core.auth import Principal, Role
from services.core.errors import DomainError, InvalidTransition, ValidationFailed

CASE_TYPES: dict[str, str] = {
    "EXPLORATORY_INNOVATION": "改革创新、先行先试中出现失误",
    "POLICY_UNCLEAR": "政策界限不明确、无明确规定",
    "SUPERIOR_DECISION": "落实上级决策部署中因客观原因未达预期",
    "FORCE_MAJEURE": "因不可抗力造成",
    "EMERGENCY_RESPONSE": "应急处置、抢险救灾中临机决断",
    "HISTORICAL_LEGACY": "历史遗留问题",
    "COLLECTIVE_DECISION": "经集体决策、程序合规",
    "OBJECTIVE_CONDITIONS": "其他非主观故意的客观原因",
}


class DecisionNotAllowed(DomainError):
    code = "ROLE_MAY_NOT_DECIDE"


def validate_request(case_type: str, reason: str, evidence: list[str]) -> None:
    if case_type not in CASE_TYPES:
        raise ValidationFailed("容错情形不在规定的8类之内", field="caseType")
    if not reason.strip():
        raise ValidationFailed("请说明申请理由", field="reason")
    if not [e for e in evidence if e.strip()]:
        raise ValidationFailed("请提供证明材料", field="evidence")


def may_request(principal: Principal, item_unit_ids: set[str], item_people: set[str]) -> bool:
    """A cadre on the item (owner or leader), a unit on the item, or the office."""
    if principal.has(Role.SUPERVISION_OFFICE):
        return True
    if principal.subject in item_people:
        return True
    unit_roles = principal.has(Role.UNIT_HEAD, Role.UNIT_SUPERVISOR)
    return unit_roles and bool(principal.unit_ids & item_unit_ids)


def check_decider(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise DecisionNotAllowed("只有督查办可以决定容错申请", field="id")


def check_transition(state: str, action: str) -> None:
    allowed = {"DECIDE": ("PENDING",), "REVOKE": ("APPROVED",)}[action]
    if state not in allowed:
        raise InvalidTransition(f"当前状态({state})不能执行此操作", current_state=state)
