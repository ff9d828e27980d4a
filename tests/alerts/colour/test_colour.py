"""The four-colour rule, table-driven, with its edges listed."""

from __future__ import annotations

from datetime import date

import pytest

from services.alerts.colour.domain import (
    ItemFacts,
    Level,
    RuleSettings,
    UnitProgress,
    evaluate,
    planned_percent,
    stall_window,
)

D = date.fromisoformat
U = "unit-a"


def facts(
    start: str = "2018-02-01",
    deadline: str = "2018-12-31",
    state: str = "IN_PROGRESS",
    cycle: str = "WEEKLY",
    nodes: tuple[tuple[str, int], ...] = (),
    units: tuple[tuple[int, str | None, bool], ...] = ((50, "2018-02-01", False),),
) -> ItemFacts:
    return ItemFacts(
        state=state,
        start_date=D(start),
        deadline=D(deadline),
        reporting_cycle=cycle,
        plan_nodes=tuple((D(d), p) for d, p in nodes),
        units=tuple(
            UnitProgress(f"{U}{i}", pct, D(gain) if gain else None, done)
            for i, (pct, gain, done) in enumerate(units)
        ),
    )


# (case, facts, today, rules, expected level)
CASES = [
    # RED: strictly after the deadline (calendar days, Shanghai date)
    (
        "on the deadline",
        facts(deadline="2018-06-29", units=((100, "2018-06-29", False),)),
        "2018-06-29",
        None,
        Level.GREEN,
    ),
    (
        "day after the deadline",
        facts(deadline="2018-06-29", units=((100, "2018-06-29", False),)),
        "2018-06-30",
        None,
        Level.RED,
    ),
    (
        "deadline on a holiday, next day",
        facts(deadline="2018-10-01", units=((100, "2018-09-30", False),)),
        "2018-10-02",
        None,
        Level.RED,
    ),
    # no colour for closed items, even when overdue
    ("completed", facts(deadline="2018-03-01", state="COMPLETED"), "2018-06-01", None, None),
    ("cancelled", facts(deadline="2018-03-01", state="CANCELLED"), "2018-06-01", None, None),
    ("suspended", facts(deadline="2018-03-01", state="SUSPENDED"), "2018-06-01", None, None),
    (
        "completion requested is still open",
        facts(deadline="2018-03-01", state="COMPLETION_REQUESTED"),
        "2018-06-01",
        None,
        Level.RED,
    ),
    # BLUE: weekly cycle, 2 cycles = 10 working days after the last gain (Fri 2018-02-09);
    # Spring Festival 15th–21st is skipped, Sun 11th and Sat 24th count
    (
        "stall window full, not past it",
        facts(units=((50, "2018-02-09", False),)),
        "2018-02-28",
        None,
        Level.GREEN,
    ),
    (
        "one working day past the window",
        facts(units=((50, "2018-02-09", False),)),
        "2018-03-01",
        None,
        Level.BLUE,
    ),
    (
        "holiday does not add idle days",
        facts(units=((50, "2018-02-09", False),)),
        "2018-02-21",
        None,
        Level.GREEN,
    ),
    # daily cycle, window 2: Mid-Autumn (Mon 24 Sep) does not count
    (
        "mid-autumn: 2 idle days",
        facts(cycle="DAILY", units=((80, "2018-09-21", False),)),
        "2018-09-26",
        None,
        Level.GREEN,
    ),
    (
        "mid-autumn: 3 idle days",
        facts(cycle="DAILY", units=((80, "2018-09-21", False),)),
        "2018-09-27",
        None,
        Level.BLUE,
    ),
    # National Day: swapped Sat 29 / Sun 30 Sep count, 1–7 Oct do not
    (
        "national day: swapped weekend counts",
        facts(cycle="DAILY", units=((80, "2018-09-28", False),)),
        "2018-09-30",
        None,
        Level.GREEN,
    ),
    (
        "national day: first day back",
        facts(cycle="DAILY", units=((80, "2018-09-28", False),)),
        "2018-10-08",
        None,
        Level.BLUE,
    ),
    (
        "national day: during the break",
        facts(cycle="DAILY", units=((80, "2018-09-30", False),)),
        "2018-10-07",
        None,
        Level.GREEN,
    ),
    # never reported: the window runs from the start date
    (
        "no report, window full",
        facts(start="2018-03-01", units=((0, None, False),)),
        "2018-03-15",
        RuleSettings(lag_tolerance=100),
        Level.GREEN,
    ),
    (
        "no report, past window",
        facts(start="2018-03-01", units=((0, None, False),)),
        "2018-03-16",
        RuleSettings(lag_tolerance=100),
        Level.BLUE,
    ),
    (
        "no units projected yet",
        facts(start="2018-03-01", units=()),
        "2018-03-16",
        RuleSettings(lag_tolerance=100),
        Level.BLUE,
    ),
    (
        "gain before start counts from start",
        facts(start="2018-03-01", units=((50, "2018-01-02", False),)),
        "2018-03-15",
        None,
        Level.GREEN,
    ),
    (
        "configurable window: 1 cycle",
        facts(units=((50, "2018-02-09", False),)),
        "2018-02-23",
        RuleSettings(stall_cycles=1),
        Level.BLUE,
    ),
    # a finished unit never stalls the item; the open one does
    (
        "done unit ignored, open unit stalls",
        facts(units=((100, "2018-02-01", True), (90, "2018-02-09", False))),
        "2018-03-01",
        None,
        Level.BLUE,
    ),
    ("all units done", facts(units=((100, "2018-02-01", True),)), "2018-06-01", None, Level.GREEN),
    # YELLOW: plan 0% on 1 Jun → 60% on 15 Jun → 100% on 29 Jun; tolerance 10
    (
        "on node: 50+10 = 60 not lagging",
        facts(
            "2018-06-01",
            "2018-06-29",
            nodes=(("2018-06-15", 60),),
            units=((50, "2018-06-15", False),),
        ),
        "2018-06-15",
        None,
        Level.GREEN,
    ),
    (
        "on node: 49+10 < 60 lagging",
        facts(
            "2018-06-01",
            "2018-06-29",
            nodes=(("2018-06-15", 60),),
            units=((49, "2018-06-15", False),),
        ),
        "2018-06-15",
        None,
        Level.YELLOW,
    ),
    (
        "tolerance 0",
        facts(
            "2018-06-01",
            "2018-06-29",
            nodes=(("2018-06-15", 60),),
            units=((59, "2018-06-15", False),),
        ),
        "2018-06-15",
        RuleSettings(lag_tolerance=0),
        Level.YELLOW,
    ),
    (
        "lowest open unit decides",
        facts(
            "2018-06-01",
            "2018-06-29",
            nodes=(("2018-06-15", 60),),
            units=((90, "2018-06-15", False), (40, "2018-06-15", False)),
        ),
        "2018-06-15",
        None,
        Level.YELLOW,
    ),
    (
        "before start: green",
        facts("2018-06-01", "2018-06-29", units=((0, None, False),)),
        "2018-05-30",
        None,
        Level.GREEN,
    ),
    # severity: RED over BLUE over YELLOW
    (
        "overdue and stalled is RED",
        facts("2018-06-01", "2018-06-29", units=((0, None, False),)),
        "2018-07-02",
        None,
        Level.RED,
    ),
    (
        "stalled and lagging is BLUE",
        facts("2018-06-01", "2018-06-29", units=((0, None, False),)),
        "2018-06-28",
        None,
        Level.BLUE,
    ),
]


@pytest.mark.parametrize(
    ("case", "item", "today", "rules", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_colour(
    case: str, item: ItemFacts, today: str, rules: RuleSettings | None, expected: Level | None
) -> None:
    result = evaluate(item, D(today), rules or RuleSettings())
    assert result.level == expected, result.reason
    assert result.reason


NODES = ((D("2018-06-15"), 60),)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2018-05-31", 0.0),  # before start
        ("2018-06-01", 0.0),  # on start
        ("2018-06-15", 60.0),  # exactly on the node
        ("2018-06-18", 60.0),  # Dragon Boat holiday (16–18 Jun): no working time passes
        ("2018-06-22", 60 + 40 * 4 / 9),  # 4 of the 9 working days to the deadline
        ("2018-06-29", 100.0),  # on the deadline
        ("2018-07-02", 100.0),  # after
    ],
)
def test_planned_percent_is_linear_in_working_days(today: str, expected: float) -> None:
    got = planned_percent(D("2018-06-01"), D("2018-06-29"), NODES, D(today))
    assert got == pytest.approx(expected)


def test_nodes_outside_the_item_are_ignored_and_unsorted_nodes_sorted() -> None:
    nodes = ((D("2018-06-22"), 80), (D("2018-05-01"), 50), (D("2018-06-08"), 20))
    assert planned_percent(D("2018-06-01"), D("2018-06-29"), nodes, D("2018-06-08")) == 20
    assert planned_percent(D("2018-06-01"), D("2018-06-29"), nodes, D("2018-06-22")) == 80


@pytest.mark.parametrize(
    ("cycle", "cycles", "expected"),
    [("DAILY", 2, 2), ("WEEKLY", 2, 10), ("BIWEEKLY", 2, 20), ("MONTHLY", 1, 21), ("ODD", 2, 10)],
)
def test_stall_window_in_working_days(cycle: str, cycles: int, expected: int) -> None:
    assert stall_window(cycle, RuleSettings(stall_cycles=cycles)) == expected
