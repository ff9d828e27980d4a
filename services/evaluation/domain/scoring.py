"""Scoring rules (pure). Foundation version: taking on an item earns weighted points."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    rule: str
    points: float
    explanation: str


def score_item_taken_on(title: str, importance: int, difficulty: float) -> Entry:
    points = round(1.0 * max(importance, 1) * max(difficulty, 0.1), 2)
    return Entry(
        "ITEM_TAKEN_ON", points, f"承办督办事项《{title}》(重要性{importance}, 难度{difficulty})"
    )
