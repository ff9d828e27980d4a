"""domain.access.can: every operation × role × in-scope / out-of-scope unit (pure)."""

from __future__ import annotations

import itertools

import pytest

from services.core.auth import Principal, Role
from services.tasks.access import ItemScope, Operation, can

L, C, OUT = "unit-lead", "unit-co", "unit-other"
SCOPE = {"owner_ids": ["p-owner"], "responsible_leader_id": "p-leader"}

UNIT_OPS = {
    "ASSIGNMENT_SIGN",
    "ASSIGNMENT_RETURN",
    "PROGRESS_REPORT",
    "COMPLETION_REQUEST",
    "EXTENSION_REQUEST",
}
OFFICE_OPS = {
    "ITEM_CREATE",
    "ITEM_UPDATE",
    "ITEM_TRANSFER",
    "DEADLINE_RESET",
    "INSTRUCTION_RECORD",
    "ASSIGNMENT_REASSIGN",
    "COMPLETION_VERIFY",
    "COMPLETION_SEND_BACK",
    "REPORT_VERIFY",
    "EXTENSION_DECIDE",
    "ITEM_SUSPEND",
    "ITEM_RESUME",
    "ITEM_CANCEL",
    "NOTICE_ISSUE",
    "ORGANISATION_MANAGE",
    "ITEM_CHASE",
}
LEADER_OPS = {"INSTRUCTION_ADD", "ITEM_CHASE", "INSTRUCTION_CONFIRM"}

# name: (roles, token units, subject, token ops, acting unit)
ACTORS = {
    "office": ({Role.SUPERVISION_OFFICE}, [], "p-x", [], L),
    "leader": ({Role.LEADER}, [], "p-x", [], L),
    "head_in": ({Role.UNIT_HEAD}, [L], "p-x", [], L),
    "head_in_co": ({Role.UNIT_HEAD}, [C], "p-x", [], C),
    "head_in_acting_other_unit": ({Role.UNIT_HEAD}, [L], "p-x", [], C),
    "head_out": ({Role.UNIT_HEAD}, [OUT], "p-x", [], OUT),
    "supervisor_in": ({Role.UNIT_SUPERVISOR}, [L], "p-x", [], L),
    "supervisor_out_acting_lead": ({Role.UNIT_SUPERVISOR}, [OUT], "p-x", [], L),
    "cadre_owner": ({Role.CADRE}, [L], "p-owner", [], L),
    "cadre_leader": ({Role.CADRE}, [], "p-leader", [], L),
    "cadre_other": ({Role.CADRE}, [L], "p-x", [], L),
    "integration_in": ({Role.INTEGRATION}, [L], "svc", [o.value for o in Operation], L),
    "integration_in_report_only": ({Role.INTEGRATION}, [L], "svc", ["PROGRESS_REPORT"], L),
    "integration_out": ({Role.INTEGRATION}, [OUT], "svc", [o.value for o in Operation], L),
}
UNIT_SIDE = {"head_in", "head_in_co", "supervisor_in", "integration_in"}
READERS = {
    "office",
    "leader",
    "head_in",
    "head_in_co",
    "head_in_acting_other_unit",
    "supervisor_in",
    "cadre_owner",
    "cadre_leader",
    "integration_in",
    "integration_in_report_only",
}


def expected(actor: str, op: str) -> bool:
    if op == "ITEM_READ":
        return actor in READERS
    if op in UNIT_OPS:
        return actor in UNIT_SIDE or (
            actor == "integration_in_report_only" and op == "PROGRESS_REPORT"
        )
    allowed = set()
    if op in OFFICE_OPS:
        allowed.add("office")
    if op in LEADER_OPS:
        allowed.add("leader")
    return actor in allowed


@pytest.mark.parametrize(("actor", "op"), list(itertools.product(ACTORS, Operation)))
def test_can(actor: str, op: Operation) -> None:
    roles, units, subject, ops, acting = ACTORS[actor]
    principal = Principal(
        subject, roles=frozenset(roles), unit_ids=frozenset(units), operations=frozenset(ops)
    )
    scope = ItemScope.of(L, [C], acting_unit_id=acting, **SCOPE)
    assert can(principal, op, scope) is expected(actor, op.value)


def test_unit_operation_for_a_unit_not_on_the_item_is_refused() -> None:
    head = Principal("p", roles=frozenset({Role.UNIT_HEAD}), unit_ids=frozenset({OUT}))
    assert not can(head, Operation.ASSIGNMENT_SIGN, ItemScope.of(L, [C], acting_unit_id=OUT))
    assert not can(head, Operation.ASSIGNMENT_SIGN, ItemScope.of(L, [C]))  # no acting unit
