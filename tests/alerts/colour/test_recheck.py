"""``recheck_on`` is safe: no colour changes before the day it names (property test)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from services.alerts.colour.domain import (
    ItemFacts,
    Level,
    RuleSettings,
    UnitProgress,
    evaluate,
    recheck_on,
)


def random_facts(rng: random.Random) -> tuple[ItemFacts, date, RuleSettings]:
    start = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 1000))
    deadline = start + timedelta(days=rng.randrange(1, 200))
    nodes = []
    for _ in range(rng.randrange(0, 4)):
        nodes.append(
            (
                start + timedelta(days=rng.randrange(0, (deadline - start).days + 1)),
                rng.randrange(0, 101),
            )
        )
    if rng.random() < 0.7:  # mostly monotonic plans, as offices write them
        nodes = list(zip(sorted(d for d, _ in nodes), sorted(p for _, p in nodes), strict=True))
    units = []
    for i in range(rng.randrange(0, 3)):
        gain = start + timedelta(days=rng.randrange(-20, 120)) if rng.random() < 0.8 else None
        units.append(UnitProgress(f"u{i}", rng.randrange(0, 101), gain, rng.random() < 0.15))
    facts = ItemFacts(
        state=rng.choice(["IN_PROGRESS", "ASSIGNED", "COMPLETION_REQUESTED", "COMPLETED"]),
        start_date=start,
        deadline=deadline,
        reporting_cycle=rng.choice(["DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY"]),
        plan_nodes=tuple(nodes),
        units=tuple(units),
    )
    today = start + timedelta(days=rng.randrange(-10, (deadline - start).days + 10))
    rules = RuleSettings(
        lag_tolerance=rng.choice([0, 5, 10, 30]), stall_cycles=rng.choice([1, 2, 3])
    )
    return facts, today, rules


@pytest.mark.parametrize("seed", range(20))
def test_no_colour_change_before_recheck_day(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        facts, today, rules = random_facts(rng)
        result = evaluate(facts, today, rules)
        due = recheck_on(facts, today, rules, result)
        assert due is None or due > today
        last = due or today + timedelta(days=400)
        day = today + timedelta(days=1)
        while day < last and day <= today + timedelta(days=400):
            assert evaluate(facts, day, rules).level == result.level, (facts, today, day, due)
            day += timedelta(days=1)


def test_recheck_names_the_day_a_change_happens() -> None:
    # weekly, 2 cycles, last gain Fri 9 Feb 2018: BLUE from 1 March (Spring Festival skipped)
    facts = ItemFacts(
        "IN_PROGRESS",
        date(2018, 2, 1),
        date(2018, 12, 31),
        units=(UnitProgress("a", 90, date(2018, 2, 9)),),
    )
    result = evaluate(facts, date(2018, 2, 12), RuleSettings())
    assert result.level == Level.GREEN
    assert recheck_on(facts, date(2018, 2, 12), RuleSettings(), result) == date(2018, 3, 1)
    assert evaluate(facts, date(2018, 3, 1), RuleSettings()).level == Level.BLUE


def test_red_and_closed_need_an_event() -> None:
    facts = ItemFacts("IN_PROGRESS", date(2018, 2, 1), date(2018, 3, 1))
    red = evaluate(facts, date(2018, 3, 2), RuleSettings())
    assert (
        red.level == Level.RED and recheck_on(facts, date(2018, 3, 2), RuleSettings(), red) is None
    )
