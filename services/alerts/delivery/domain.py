"""Delivery's own rules (pure): how long to wait before the next attempt, and which of a
recipient's due rows go out together."""

from __future__ import annotations

from collections.abc import Sequence


def same_link_run(links: Sequence[str | None]) -> int:
    """How many leading rows share the first one's 去汇报 link: one wire message carries
    either plain reminders or reminders of one item as one card, never a mix."""
    if not links:
        return 0
    n = 1
    while n < len(links) and links[n] == links[0]:
        n += 1
    return n


def backoff(attempts: int, base: float, cap: float) -> float:
    return float(min(base * 2 ** max(attempts - 1, 0), cap))
