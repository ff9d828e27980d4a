"""The four-colour rule (pure). Foundation version: overdue → RED, otherwise GREEN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Level(StrEnum):
    RED = "RED"  # 逾期未办
    BLUE = "BLUE"  # 进度停滞
    YELLOW = "YELLOW"  # 进度滞后
    GREEN = "GREEN"  # 正常推进


CLOSED_STATES = frozenset({"COMPLETED", "CANCELLED", "SUSPENDED"})


@dataclass(frozen=True)
class Evaluation:
    level: Level | None
    reason: str


def evaluate(state: str, deadline: date, today: date) -> Evaluation:
    if state in CLOSED_STATES:
        return Evaluation(None, "事项已结束或暂停")
    if today > deadline:
        return Evaluation(Level.RED, f"已超过办理时限 {deadline.isoformat()}")
    return Evaluation(Level.GREEN, "正常推进")
