"""The four-colour rule (四色预警), pure: facts about an item + today + rule settings → colour.

- RED 红 (逾期未办): today is past the deadline and the item is not done.
- BLUE 蓝 (进度停滞): some open unit has had no progress gain (no report, or reports
  without a higher percent) for more than the stall window, counted in working days
  from its last gain (or from the start date when it never gained).
- YELLOW 黄 (进度滞后): reported percent + tolerance < planned percent for today. The
  plan is piecewise-linear on the working-day axis: 0% at the start date, through
  the plan nodes, 100% at the deadline. The reported percent is the lowest percent of
  the units still working on the item (the item is done when every unit is done).
- GREEN 绿 (正常推进): otherwise. Severity RED > BLUE > YELLOW > GREEN.

Completed, cancelled, suspended (and draft) items carry no colour.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from services.core.calendar import add_workdays, workday_index, workdays_between


class Level(StrEnum):
    RED = "RED"  # 逾期未办
    BLUE = "BLUE"  # 进度停滞
    YELLOW = "YELLOW"  # 进度滞后
    GREEN = "GREEN"  # 正常推进


SEVERITY: dict[Level | None, int] = {
    None: 0,
    Level.GREEN: 1,
    Level.YELLOW: 2,
    Level.BLUE: 3,
    Level.RED: 4,
}

CLOSED_STATES = frozenset({"COMPLETED", "CANCELLED", "SUSPENDED", "DRAFT"})
DONE_UNIT_STATES = frozenset({"COMPLETED"})

# Working days in one reporting cycle.
CYCLE_WORKDAYS: dict[str, int] = {"DAILY": 1, "WEEKLY": 5, "BIWEEKLY": 10, "MONTHLY": 21}


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds for one source; ``version`` is recorded with every evaluation."""

    lag_tolerance: int = 10  # percentage points
    stall_cycles: int = 2  # reporting cycles without a progress gain
    version: int = 0


DEFAULT_RULES = RuleSettings()


@dataclass(frozen=True)
class UnitProgress:
    unit_id: str
    percent: int = 0
    last_gain_on: date | None = None  # Shanghai date of the last report that raised percent
    done: bool = False


@dataclass(frozen=True)
class ItemFacts:
    state: str
    start_date: date
    deadline: date
    reporting_cycle: str = "WEEKLY"
    plan_nodes: Sequence[tuple[date, int]] = ()
    units: Sequence[UnitProgress] = field(default_factory=tuple)


@dataclass(frozen=True)
class Evaluation:
    level: Level | None
    reason: str
    planned_percent: float | None = None
    reported_percent: int | None = None


def planned_percent(
    start: date, deadline: date, nodes: Sequence[tuple[date, int]], today: date
) -> float:
    """Planned percent for ``today``, linear in working days between consecutive points."""
    points = [(start, 0.0)]
    for d, p in sorted(nodes):
        if start < d < deadline:
            points.append((d, float(max(0, min(100, p)))))
    points.append((deadline, 100.0))
    if today <= start:
        return 0.0
    if today >= deadline:
        return 100.0
    for (d0, p0), (d1, p1) in itertools.pairwise(points):
        if d0 <= today <= d1:
            if today == d1:
                return p1
            span = workday_index(d1) - workday_index(d0)
            if span <= 0:
                return p0
            done = workday_index(today) - workday_index(d0)
            return p0 + (p1 - p0) * done / span
    return 100.0  # unreachable: points cover [start, deadline]


def stall_window(cycle: str, rules: RuleSettings) -> int:
    return CYCLE_WORKDAYS.get(cycle, CYCLE_WORKDAYS["WEEKLY"]) * rules.stall_cycles


def evaluate(facts: ItemFacts, today: date, rules: RuleSettings = DEFAULT_RULES) -> Evaluation:
    """The item's colour on ``today`` (an Asia/Shanghai date)."""
    if facts.state in CLOSED_STATES:
        return Evaluation(None, "事项已办结、撤销或暂停")
    if today > facts.deadline:
        return Evaluation(Level.RED, f"已超过办理时限 {facts.deadline.isoformat()}，尚未办结")
    open_units = [u for u in facts.units if not u.done]
    if facts.units and not open_units:
        return Evaluation(Level.GREEN, "各单位均已完成，待办结", 100.0, 100)
    reported = min((u.percent for u in open_units), default=0)
    if today < facts.start_date:
        return Evaluation(Level.GREEN, "尚未开始", 0.0, reported)

    window = stall_window(facts.reporting_cycle, rules)
    idle = max(
        workdays_between(max(u.last_gain_on or facts.start_date, facts.start_date), today)
        for u in open_units or [UnitProgress("")]
    )
    planned = planned_percent(facts.start_date, facts.deadline, facts.plan_nodes, today)
    if idle > window:
        return Evaluation(
            Level.BLUE,
            f"已连续 {idle} 个工作日无进度（停滞窗口 {window} 个工作日）",
            planned,
            reported,
        )
    if reported + rules.lag_tolerance < planned:
        return Evaluation(
            Level.YELLOW,
            f"进度滞后：已报 {reported}%，计划 {planned:.0f}%（容差 {rules.lag_tolerance}%）",
            planned,
            reported,
        )
    return Evaluation(Level.GREEN, "正常推进", planned, reported)


def _first_day_planned_above(facts: ItemFacts, after: date, target: float) -> date | None:
    """The first date in (after, deadline] whose planned percent exceeds ``target``."""
    lo, hi = after, facts.deadline  # planned(lo) <= target is not required; bisect on (lo, hi]
    if planned_percent(facts.start_date, facts.deadline, facts.plan_nodes, hi) <= target:
        return None
    while (hi - lo).days > 1:
        mid = lo + timedelta(days=(hi - lo).days // 2)
        if planned_percent(facts.start_date, facts.deadline, facts.plan_nodes, mid) > target:
            hi = mid
        else:
            lo = mid
    return hi


def recheck_on(
    facts: ItemFacts, today: date, rules: RuleSettings, result: Evaluation
) -> date | None:
    """The earliest day after ``today`` on which ``evaluate`` may give another colour
    if no event arrives; None when only an event can change it (closed, or RED).

    Lets the sweep re-evaluate only the items that are due. Safe rather than tight:
    a date too early costs one needless evaluation, never a missed change.
    """
    if result.level is None or result.level == Level.RED:
        return None
    tomorrow = today + timedelta(days=1)
    percents = [p for _, p in sorted(facts.plan_nodes)]
    if percents != sorted(percents):
        return tomorrow  # a falling plan is not monotonic: check every day
    candidates = [facts.deadline + timedelta(days=1)]  # RED
    open_units = [u for u in facts.units if not u.done]
    if facts.units and not open_units:
        return max(tomorrow, min(candidates))  # only the deadline can change it
    window = stall_window(facts.reporting_cycle, rules)
    for u in open_units or [UnitProgress("")]:  # BLUE
        anchor = max(u.last_gain_on or facts.start_date, facts.start_date)
        candidates.append(add_workdays(anchor, window + 1))
    if result.level == Level.GREEN:  # YELLOW
        reported = min((u.percent for u in open_units), default=0)
        crossing = _first_day_planned_above(facts, today, reported + rules.lag_tolerance)
        if crossing is not None:
            candidates.append(crossing)
    return max(tomorrow, min(candidates))
