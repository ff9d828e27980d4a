"""Exemption rules."""

from __future__ import annotations

import pytest

from services.core.auth import Principal, Role
from services.core.errors import InvalidTransition, ValidationFailed
from services.evaluation.exemptions import domain as exemptions


def p(*roles: Role, subject: str = "me", units: tuple[str, ...] = ()) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles), unit_ids=frozenset(units))


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (p(Role.SUPERVISION_OFFICE), True),
        (p(Role.CADRE, subject="owner"), True),
        (p(Role.CADRE, subject="someone"), False),
        (p(Role.UNIT_HEAD, units=("u1",)), True),
        (p(Role.UNIT_HEAD, units=("u9",)), False),
        (p(Role.LEADER), False),
    ],
)
def test_who_may_request(principal: Principal, allowed: bool) -> None:
    assert exemptions.may_request(principal, {"u1"}, {"owner"}) is allowed


def test_only_the_office_decides_and_transitions() -> None:
    with pytest.raises(exemptions.DecisionNotAllowed):
        exemptions.check_decider(p(Role.LEADER))
    exemptions.check_decider(p(Role.SUPERVISION_OFFICE))
    with pytest.raises(InvalidTransition):
        exemptions.check_transition("APPROVED", "DECIDE")
    with pytest.raises(InvalidTransition):
        exemptions.check_transition("PENDING", "REVOKE")
    with pytest.raises(ValidationFailed):
        exemptions.validate_request("BAD_LUCK", "理由", ["材料"])
    with pytest.raises(ValidationFailed):
        exemptions.validate_request("FORCE_MAJEURE", "理由", [" "])
    assert len(exemptions.CASE_TYPES) == 8
