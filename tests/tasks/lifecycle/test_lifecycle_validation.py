"""Input rules of the lifecycle and of new items, boundary cases listed."""

from __future__ import annotations

from datetime import date

import pytest

from services.core.errors import Conflict, ValidationFailed
from services.tasks.access import Scope
from services.tasks.items.domain import PlanNode, clean_text, validate_schedule
from services.tasks.items.store import ItemFilter, Where, escape_like, item_conditions
from services.tasks.lifecycle.domain import (
    check_extension_pending,
    check_extension_request,
    check_idempotency_key,
    check_percent,
    require_reason,
)

D = date


@pytest.mark.parametrize(
    ("previous", "new", "reason", "ok"),
    [
        (0, 0, None, True),
        (0, 100, None, True),
        (40, 40, None, True),
        (40, 41, None, True),
        (40, 39, None, False),
        (40, 39, "   ", False),
        (40, 39, "统计口径调整", True),
        (0, -1, "x", False),
        (0, 101, None, False),
    ],
)
def test_percent_never_decreases_without_a_reason(
    previous: int, new: int, reason: str | None, ok: bool
) -> None:
    if ok:
        check_percent(previous, new, reason)
    else:
        with pytest.raises(ValidationFailed):
            check_percent(previous, new, reason)


@pytest.mark.parametrize(
    ("today", "deadline", "new", "ok"),
    [
        (D(2018, 3, 1), D(2018, 3, 31), D(2018, 4, 30), True),
        (D(2018, 3, 31), D(2018, 3, 31), D(2018, 4, 1), True),  # on the deadline day
        (D(2018, 4, 1), D(2018, 3, 31), D(2018, 4, 30), False),  # after the deadline
        (D(2018, 3, 1), D(2018, 3, 31), D(2018, 3, 31), False),  # not later
        (D(2018, 3, 1), D(2018, 3, 31), D(2018, 3, 1), False),
    ],
)
def test_extension_requested_before_the_deadline_for_a_later_date(
    today: date, deadline: date, new: date, ok: bool
) -> None:
    if ok:
        check_extension_request(today, deadline, new)
    else:
        with pytest.raises(ValidationFailed):
            check_extension_request(today, deadline, new)


def test_extension_decided_once() -> None:
    check_extension_pending("PENDING")
    for state in ("APPROVED", "REJECTED"):
        with pytest.raises(Conflict):
            check_extension_pending(state)


@pytest.mark.parametrize(
    ("key", "ok"), [(None, True), ("k-1", True), ("", False), ("  ", False), ("x" * 101, False)]
)
def test_idempotency_key(key: str | None, ok: bool) -> None:
    if ok:
        check_idempotency_key(key)
    else:
        with pytest.raises(ValidationFailed):
            check_idempotency_key(key)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("", False), ("  ", False), ("a", True), ("长" * 1000, True), ("长" * 1001, False)],
)
def test_reason_required_and_bounded(text: str, ok: bool) -> None:
    if ok:
        assert require_reason(text) == text.strip()
    else:
        with pytest.raises(ValidationFailed):
            require_reason(text)


def test_texts_are_trimmed_and_bounded() -> None:
    assert clean_text("  标题 ", "title", 10) == "标题"
    with pytest.raises(ValidationFailed):
        clean_text("x" * 11, "title", 10)
    assert clean_text("", "content", 10, required=False) == ""


@pytest.mark.parametrize(
    ("start", "deadline", "nodes", "ok"),
    [
        (D(2018, 1, 1), D(2018, 6, 30), [], True),
        (D(2018, 1, 1), D(2018, 1, 1), [], True),
        (D(2018, 1, 2), D(2018, 1, 1), [], False),
        (
            D(2018, 1, 1),
            D(2018, 6, 30),
            [PlanNode(D(2018, 3, 1), 30), PlanNode(D(2018, 6, 1), 80)],
            True,
        ),
        (
            D(2018, 1, 1),
            D(2018, 6, 30),
            [PlanNode(D(2018, 6, 1), 30), PlanNode(D(2018, 3, 1), 80)],
            False,
        ),
        (
            D(2018, 1, 1),
            D(2018, 6, 30),
            [PlanNode(D(2018, 3, 1), 80), PlanNode(D(2018, 6, 1), 30)],
            False,
        ),
        (
            D(2018, 1, 1),
            D(2018, 6, 30),
            [PlanNode(D(2018, 3, 1), 30), PlanNode(D(2018, 3, 1), 40)],
            False,
        ),
        (D(2018, 1, 1), D(2018, 6, 30), [PlanNode(D(2018, 7, 1), 30)], False),
        (D(2018, 1, 1), D(2018, 6, 30), [PlanNode(D(2018, 3, 1), 0)], False),
    ],
)
def test_schedule(start: date, deadline: date, nodes: list[PlanNode], ok: bool) -> None:
    if ok:
        validate_schedule(start, deadline, nodes)
    else:
        with pytest.raises(ValidationFailed):
            validate_schedule(start, deadline, nodes)


def test_filters_bind_user_values_as_parameters() -> None:
    where = item_conditions(
        ItemFilter(states=["ASSIGNED"], keyword="100%_x'; DROP", year=2018),
        Scope([], None),
        Where(first_param=2),
    )
    sql = where.sql()
    assert "DROP" not in sql and "$2" in sql
    assert where.args[0] == "ASSIGNED"
    assert where.args[1] == "%100\\%\\_x'; DROP%"
    assert where.args[2] == 2018
    assert Where().sql() == "TRUE"
    assert escape_like("a\\b") == "a\\\\b"
