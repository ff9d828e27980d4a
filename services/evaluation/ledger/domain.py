"""Scoring rules (pure). The rules are data (a versioned JSON body the office edits);
every function here takes them as an argument and returns explained entries.

A date is a calendar day in the district's timezone: callers pass the zone
(``services.core.clock.local_tz()``), so this module never names one.

Lateness has one meaning (ADR 0017): an item is late when it is completed after its
EFFECTIVE deadline (the original one, or the one an approved extension set), by the
WORKING days past it on the district's calendar (``services.core.calendar``). The
approved extension is its own, smaller deduction (``extension_approved``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from services.core.calendar import workdays_between
from services.core.errors import ValidationFailed

LEVELS = ("RED", "BLUE", "YELLOW")
LEVEL_NAMES = {"RED": "红色", "BLUE": "蓝色", "YELLOW": "黄色", "GREEN": "绿色"}

DEFAULT_RULES: dict[str, Any] = {
    "item_taken_on": {"points": 1.0},
    "completed_on_time": {"points": 5.0},
    "completed_late": {"points": -3.0, "per_day": -0.1, "max_days": 30},
    "extension_approved": {"points": -1.0},
    "colour_entered": {"RED": -2.0, "BLUE": -1.0, "YELLOW": -0.5},
    "verification_disputed": {"points": -2.0},
    "leader_share": 0.5,
    "commendation_max_points": 10.0,
}


@dataclass(frozen=True)
class Entry:
    rule: str
    points: float
    explanation: str


@dataclass(frozen=True)
class Rules:
    version: int
    body: dict[str, Any]

    def num(self, *path: str) -> float:
        node: Any = self.body
        for key in path:
            if not isinstance(node, dict) or key not in node:
                # a rule set saved before this rule existed scores it with the default
                node = DEFAULT_RULES
                for k in path:
                    node = node[k]
                break
            node = node[key]
        return float(node)


def default_rules() -> Rules:
    return Rules(0, DEFAULT_RULES)


def _number(body: dict[str, Any], path: tuple[str, ...], low: float, high: float) -> None:
    node: Any = body
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise ValidationFailed(f"规则缺少 {'.'.join(path)}", field="rules")
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        raise ValidationFailed(f"{'.'.join(path)} 必须是数字", field="rules")
    if not low <= float(node) <= high:
        raise ValidationFailed(f"{'.'.join(path)} 须在 {low} 到 {high} 之间", field="rules")


def validate_rules(body: Any) -> dict[str, Any]:
    """Check a rules body the office submits; raises ValidationFailed, returns it unchanged."""
    if not isinstance(body, dict):
        raise ValidationFailed("规则必须是一个对象", field="rules")
    _number(body, ("item_taken_on", "points"), 0, 100)
    _number(body, ("completed_on_time", "points"), 0, 100)
    _number(body, ("completed_late", "points"), -100, 0)
    _number(body, ("completed_late", "per_day"), -10, 0)
    _number(body, ("completed_late", "max_days"), 0, 3650)
    if "extension_approved" in body:  # optional: rule sets saved before it use the default
        _number(body, ("extension_approved", "points"), -100, 0)
    for level in LEVELS:
        _number(body, ("colour_entered", level), -100, 0)
    _number(body, ("verification_disputed", "points"), -100, 0)
    _number(body, ("leader_share",), 0, 1)
    _number(body, ("commendation_max_points",), 0, 100)
    return body


def weight_of(importance: int, difficulty: float) -> float:
    return max(importance, 1) * max(difficulty, 0.1)


def local_date(at: datetime, tz: tzinfo) -> date:
    """The calendar day of ``at`` in ``tz`` (a naive instant is read as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(tz).date()


def days_overdue(completed_on: date, deadline: date) -> int:
    """Working days past the effective ``deadline`` (0 when done by it)."""
    return max(workdays_between(deadline, completed_on), 0)


def _share(points: float, is_leader: bool, rules: Rules) -> float:
    return round(points * (rules.num("leader_share") if is_leader else 1.0), 2)


def score_item_taken_on(
    rules: Rules, title: str, importance: int, difficulty: float, is_leader: bool = False
) -> Entry:
    points = _share(
        rules.num("item_taken_on", "points") * weight_of(importance, difficulty), is_leader, rules
    )
    who = "分包负责" if is_leader else "承办"
    return Entry(
        "ITEM_TAKEN_ON",
        points,
        f"{who}督办事项《{title}》(重要性{importance}, 难度{difficulty})",
    )


def score_completion(
    rules: Rules,
    title: str,
    importance: int,
    difficulty: float,
    completed_on: date,
    deadline: date,
    is_leader: bool = False,
    original_deadline: date | None = None,
) -> Entry:
    """On time or late against the EFFECTIVE deadline (extended when an extension was
    approved), late by working days, weighted by importance × difficulty."""
    weight = weight_of(importance, difficulty)
    late = days_overdue(completed_on, deadline)
    role = "(分包领导按比例)" if is_leader else ""
    limit = f"时限{deadline}"
    if original_deadline is not None and original_deadline != deadline:
        limit = f"经批准延期至{deadline}, 原定时限{original_deadline}"
    if late == 0:
        points = _share(rules.num("completed_on_time", "points") * weight, is_leader, rules)
        return Entry(
            "COMPLETED_ON_TIME",
            points,
            f"《{title}》按期办结({completed_on}, {limit}), 权重{weight:g}{role}",
        )
    counted = min(late, int(rules.num("completed_late", "max_days")))
    base = rules.num("completed_late", "points") + rules.num("completed_late", "per_day") * counted
    points = _share(base * weight, is_leader, rules)
    return Entry(
        "COMPLETED_LATE",
        points,
        f"《{title}》逾期办结({completed_on}, {limit}, 逾期{late}个工作日), 权重{weight:g}{role}",
    )


def score_extension_approved(
    rules: Rules,
    title: str,
    importance: int,
    difficulty: float,
    new_deadline: str,
    is_leader: bool = False,
) -> Entry:
    """An approved extension (延期): its own deduction, smaller than lateness."""
    weight = weight_of(importance, difficulty)
    role = "(分包领导按比例)" if is_leader else ""
    points = _share(rules.num("extension_approved", "points") * weight, is_leader, rules)
    return Entry(
        "EXTENSION_APPROVED",
        points,
        f"《{title}》经批准延期至{new_deadline}, 权重{weight:g}{role}",
    )


def score_colour_entered(
    rules: Rules, level: str, title: str, is_leader: bool = False
) -> Entry | None:
    if level not in LEVELS:
        return None
    points = _share(rules.num("colour_entered", level), is_leader, rules)
    label = title or "督办事项"
    return Entry(f"COLOUR_{level}", points, f"《{label}》进入{LEVEL_NAMES[level]}预警")


def score_verification_disputed(rules: Rules, title: str, is_leader: bool = False) -> Entry:
    points = _share(rules.num("verification_disputed", "points"), is_leader, rules)
    return Entry("VERIFICATION_DISPUTED", points, f"《{title}》汇报经核实存在不符")


def score_commendation(rules: Rules, kind: str, points: float, reason: str) -> Entry:
    """Leader commendation (positive) or criticism (negative), capped by the rules."""
    cap = rules.num("commendation_max_points")
    if not 0 < points <= cap:
        raise ValidationFailed(f"分值须在 0 到 {cap:g} 之间", field="points")
    if kind == "COMMENDATION":
        return Entry("COMMENDATION", round(points, 2), f"领导表扬: {reason}")
    if kind == "CRITICISM":
        return Entry("CRITICISM", -round(points, 2), f"领导批评: {reason}")
    raise ValidationFailed("类型须为 COMMENDATION 或 CRITICISM", field="kind")


def is_penalty(rule: str, points: float) -> bool:
    """Entries an exemption can remove: negative scoring, not offsets themselves."""
    return (
        points < 0
        and not rule.startswith(("EXEMPTED:", "RESTORED:"))
        and rule not in ("CRITICISM",)
    )
