"""CLOCK_AT: the alerts clock of a demo district starts at its own "today"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.core.clock import simulated_clock


def test_clock_starts_at_the_given_instant_and_runs_on() -> None:
    clock = simulated_clock("2018-06-29T09:00:00+08:00")
    first = clock()
    assert abs(first - datetime(2018, 6, 29, 1, 0, tzinfo=UTC)) < timedelta(seconds=5)
    assert clock() >= first


def test_a_naive_time_is_read_in_shanghai() -> None:
    clock = simulated_clock("2018-06-29T09:00:00")
    assert abs(clock() - datetime(2018, 6, 29, 1, 0, tzinfo=UTC)) < timedelta(seconds=5)
