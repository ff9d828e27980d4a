"""Delivery's own rules (pure): how long to wait before the next attempt."""

from __future__ import annotations


def backoff(attempts: int, base: float, cap: float) -> float:
    return float(min(base * 2 ** max(attempts - 1, 0), cap))
