"""The office's moves: pure rules (table-driven)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest

from services.core.errors import InvalidTransition, ValidationFailed
from services.tasks.items.domain import PlanNode
from services.tasks.lifecycle.domain import derive_item_state
from services.tasks.moves import domain

D = date(2018, 6, 1)


def a(state: str, reported: bool = False) -> dict[str, Any]:
    return {"state": state, "last_report_at": "2018-05-01" if reported else None}


@pytest.mark.parametrize(
    ("moving", "lead", "to_active", "error"),
    [
        (a("RETURNED"), a("RETURNED"), False, None),
        (a("RETURNED"), a("IN_PROGRESS", True), False, None),  # a returned co-unit, lead busy
        (a("ASSIGNED"), a("ASSIGNED"), False, None),  # before the lead reported
        (a("SIGNED"), a("SIGNED"), False, None),
        (a("SIGNED"), a("IN_PROGRESS", True), False, InvalidTransition),
        (a("IN_PROGRESS", True), a("IN_PROGRESS", True), False, InvalidTransition),
        (a("TRANSFERRED"), a("ASSIGNED"), False, InvalidTransition),
        (a("RETURNED"), a("RETURNED"), True, ValidationFailed),
    ],
)
def test_transfer_rule(
    moving: dict[str, Any], lead: dict[str, Any], to_active: bool, error: type | None
) -> None:
    if error is None:
        domain.check_transfer(moving, lead, to_active)
    else:
        with pytest.raises(error):
            domain.check_transfer(moving, lead, to_active)


@pytest.mark.parametrize(
    ("new", "error"),
    [
        (date(2018, 7, 1), None),
        (date(2018, 5, 1), None),  # earlier than now but after the start: allowed
        (D, "same"),
        (date(2017, 12, 31), "start"),
        (date(2018, 3, 1), "plan"),
    ],
)
def test_deadline_reset_rule(new: date, error: str | None) -> None:
    nodes = [PlanNode(date(2018, 4, 1), 50)]
    if error is None:
        domain.check_deadline_reset(date(2018, 1, 1), D, new, nodes)
    else:
        with pytest.raises(ValidationFailed):
            domain.check_deadline_reset(date(2018, 1, 1), D, new, nodes)


def test_field_changes_only_names_what_changed() -> None:
    before = {"title": "甲", "owner_ids": ["1"], "plan_nodes": [], "content": ""}
    after = {"title": "甲", "owner_ids": ["2"], "content": "新"}
    assert domain.field_changes(before, after) == {
        "owner_ids": {"before": ["1"], "after": ["2"]},
        "content": {"before": "", "after": "新"},
    }


def test_withdrawal_of_a_reported_unit_needs_a_reason() -> None:
    domain.check_withdrawal(a("ASSIGNED"), "")
    with pytest.raises(ValidationFailed):
        domain.check_withdrawal(a("IN_PROGRESS", True), "")
    domain.check_withdrawal(a("IN_PROGRESS", True), "职责调整")


def test_ended_assignments_do_not_hold_the_item_open() -> None:
    assert derive_item_state("IN_PROGRESS", ["COMPLETED", "TRANSFERRED"]) == "COMPLETED"
    assert derive_item_state("ASSIGNED", ["WITHDRAWN", "ASSIGNED"]) == "ASSIGNED"


@pytest.mark.parametrize(
    ("kind", "data", "ok"),
    [
        ("image/png", b"png", True),
        ("application/pdf", b"%PDF", True),
        ("text/plain", b"x", False),
        ("image/png", b"", False),
        ("image/png", b"x" * (domain.SCAN_MAX_BYTES + 1), False),
    ],
)
def test_scan_rule(kind: str, data: bytes, ok: bool) -> None:
    encoded = base64.b64encode(data).decode()
    if ok:
        assert domain.decode_scan("页.png", kind, encoded).data == data
    else:
        with pytest.raises(ValidationFailed):
            domain.decode_scan("页.png", kind, encoded)
    with pytest.raises(ValidationFailed):
        domain.decode_scan("x", "image/png", "not base64!!")
