"""Which reminders are due for one item on one day (pure, table-driven)."""

from __future__ import annotations

from datetime import date

import pytest

from services.alerts.reminders.domain import ItemPeople, ItemView, Kind, UnitState, due_reasons

D = date.fromisoformat


def item(
    deadline: str = "2018-06-29",
    level: str | None = "GREEN",
    red_since: str | None = None,
    reported: str | None = None,
    done_co: bool = False,
    cycle: str = "WEEKLY",
) -> ItemView:
    return ItemView(
        id="i",
        code="DB-2018-0001",
        title="市政重点工程",
        start_date=D("2018-03-01"),
        deadline=D(deadline),
        reporting_cycle=cycle,
        people=ItemPeople(("lead", "co"), "leader", ("owner",)),
        units=(
            UnitState("lead", D(reported) if reported else None, False),
            UnitState("co", None, done_co),
        ),
        level=level,
        red_since=D(red_since) if red_since else None,
    )


@pytest.mark.parametrize(
    ("view", "today", "expected"),
    [
        (item(), "2018-06-13", []),  # Wednesday, nothing due
        (item(), "2018-06-15", ["report:i:lead:2018-06-11", "report:i:co:2018-06-11"]),
        (item(reported="2018-06-12"), "2018-06-15", ["report:i:co:2018-06-11"]),
        (item(reported="2018-06-12", done_co=True), "2018-06-15", []),
        (item(deadline="2018-06-19"), "2018-06-14", ["deadline:i:2018-06-19:3"]),
        (
            item(deadline="2018-06-19", reported="2018-06-11", done_co=True),
            "2018-06-15",
            ["deadline:i:2018-06-19:1"],  # Mon 06-18 is a holiday: 1 working day left
        ),
        (item(cycle="DAILY", reported="2018-06-13", done_co=True), "2018-06-13", []),
        (
            item(cycle="DAILY", reported="2018-06-12", done_co=True),
            "2018-06-13",
            ["report:i:lead:2018-06-13"],
        ),
        # RED: chased from the next working day, escalated after two
        (
            item("2018-06-08", "RED", "2018-06-11", done_co=True, reported="2018-06-11"),
            "2018-06-11",
            [],
        ),
        (
            item("2018-06-08", "RED", "2018-06-11", done_co=True, reported="2018-06-11"),
            "2018-06-12",
            ["chase:i:2018-06-12"],
        ),
        (
            item("2018-06-08", "RED", "2018-06-11", done_co=True, reported="2018-06-11"),
            "2018-06-13",
            ["chase:i:2018-06-13", "escalate:i:2018-06-11"],
        ),
        # a GREEN item past its deadline (not yet re-coloured) is neither chased nor near
        (item("2018-06-08", "GREEN", done_co=True, reported="2018-06-11"), "2018-06-13", []),
    ],
)
def test_due_reasons(view: ItemView, today: str, expected: list[str]) -> None:
    assert [d.reason_key for d in due_reasons(view, D(today))] == expected


def test_due_reasons_carry_what_the_text_needs() -> None:
    view = item("2018-06-08", "RED", "2018-06-11", done_co=True, reported="2018-06-11")
    chase, escalate = due_reasons(view, D("2018-06-13"))
    assert (chase.kind, chase.params) == (Kind.RED_CHASE, {"overdue": 3})
    assert (escalate.kind, escalate.params) == (Kind.RED_ESCALATION, {"lasted": 2})
    [report] = due_reasons(item(reported="2018-06-12"), D("2018-06-15"))
    assert (report.kind, report.only_units, report.params) == (
        Kind.REPORT_DUE,
        ("co",),
        {"due": D("2018-06-15")},
    )
    assert due_reasons(item("2018-06-19"), D("2018-06-14"), offsets=(), grace_workdays=2) == []
