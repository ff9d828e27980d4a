"""The lifecycle state machine, table-driven: every (state, action) pair."""

from __future__ import annotations

import itertools

import pytest

from services.core.errors import InvalidTransition
from services.tasks.items.domain import ItemState
from services.tasks.lifecycle.domain import (
    AssignmentAction as Act,
)
from services.tasks.lifecycle.domain import (
    AssignmentState as A,
)
from services.tasks.lifecycle.domain import (
    ItemAction,
    check_item_action,
    derive_item_state,
    next_assignment_state,
    resume_state,
)

ALLOWED = {
    (A.ASSIGNED, Act.SIGN): A.SIGNED,
    (A.ASSIGNED, Act.RETURN): A.RETURNED,
    (A.RETURNED, Act.REASSIGN): A.ASSIGNED,
    (A.SIGNED, Act.REPORT): A.IN_PROGRESS,
    (A.IN_PROGRESS, Act.REPORT): A.IN_PROGRESS,
    (A.SIGNED, Act.REQUEST_COMPLETION): A.COMPLETION_REQUESTED,
    (A.IN_PROGRESS, Act.REQUEST_COMPLETION): A.COMPLETION_REQUESTED,
    (A.COMPLETION_REQUESTED, Act.VERIFY): A.COMPLETED,
    (A.COMPLETION_REQUESTED, Act.SEND_BACK): A.IN_PROGRESS,
}
OPEN = [ItemState.ASSIGNED, ItemState.IN_PROGRESS, ItemState.COMPLETION_REQUESTED]
CLOSED = [ItemState.COMPLETED, ItemState.SUSPENDED, ItemState.CANCELLED, ItemState.DRAFT]


@pytest.mark.parametrize(("state", "action"), list(itertools.product(A, Act)))
def test_every_assignment_pair_in_an_open_item(state: A, action: Act) -> None:
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as e:
            next_assignment_state(ItemState.IN_PROGRESS, state, action)
        assert e.value.current_state == state.value
        assert state.value in e.value.message or "「" in e.value.message
    else:
        assert next_assignment_state(ItemState.IN_PROGRESS, state, action) == expected


@pytest.mark.parametrize(("item_state", "action"), list(itertools.product(CLOSED, Act)))
def test_no_assignment_step_on_a_closed_item(item_state: ItemState, action: Act) -> None:
    with pytest.raises(InvalidTransition) as e:
        next_assignment_state(item_state, A.ASSIGNED, action)
    assert e.value.current_state == item_state.value


ITEM_ALLOWED = {
    ItemAction.SUSPEND: set(OPEN),
    ItemAction.RESUME: {ItemState.SUSPENDED},
    ItemAction.CANCEL: {*OPEN, ItemState.SUSPENDED},
    ItemAction.CHASE: set(OPEN),
    ItemAction.INSTRUCT: {*OPEN, ItemState.SUSPENDED, ItemState.COMPLETED},
    ItemAction.REQUEST_EXTENSION: set(OPEN),
    ItemAction.DECIDE_EXTENSION: set(OPEN),
    ItemAction.VERIFY_REPORT: {*OPEN, ItemState.COMPLETED},
    ItemAction.UPDATE: {*OPEN, ItemState.SUSPENDED},
    ItemAction.TRANSFER: set(OPEN),
    ItemAction.RESET_DEADLINE: set(OPEN),
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(ItemState, ItemAction)))
def test_every_item_action_in_every_state(state: ItemState, action: ItemAction) -> None:
    if state in ITEM_ALLOWED[action]:
        check_item_action(state, action)
    else:
        with pytest.raises(InvalidTransition) as e:
            check_item_action(state, action)
        assert e.value.current_state == state.value


@pytest.mark.parametrize(
    ("current", "assignments", "expected"),
    [
        ("ASSIGNED", ["ASSIGNED"], "ASSIGNED"),
        ("ASSIGNED", ["ASSIGNED", "RETURNED"], "ASSIGNED"),
        ("ASSIGNED", ["SIGNED", "ASSIGNED"], "IN_PROGRESS"),
        ("IN_PROGRESS", ["IN_PROGRESS", "RETURNED"], "IN_PROGRESS"),
        ("IN_PROGRESS", ["COMPLETION_REQUESTED", "IN_PROGRESS"], "IN_PROGRESS"),
        ("IN_PROGRESS", ["COMPLETION_REQUESTED", "COMPLETED"], "COMPLETION_REQUESTED"),
        ("COMPLETION_REQUESTED", ["COMPLETED", "COMPLETED"], "COMPLETED"),
        ("COMPLETION_REQUESTED", ["COMPLETED", "IN_PROGRESS"], "IN_PROGRESS"),
        ("IN_PROGRESS", ["COMPLETED"], "COMPLETED"),
        ("SUSPENDED", ["COMPLETED"], "SUSPENDED"),
        ("CANCELLED", ["SIGNED"], "CANCELLED"),
        ("COMPLETED", ["COMPLETED"], "COMPLETED"),
    ],
)
def test_item_state_follows_its_assignments(
    current: str, assignments: list[str], expected: str
) -> None:
    assert derive_item_state(current, assignments) == expected


def test_resume_returns_to_the_state_the_assignments_imply() -> None:
    assert resume_state(["ASSIGNED"]) == ItemState.ASSIGNED
    assert resume_state(["SIGNED", "ASSIGNED"]) == ItemState.IN_PROGRESS
    assert resume_state(["COMPLETION_REQUESTED"]) == ItemState.COMPLETION_REQUESTED
