"""CLOCK_AT: the alerts clock of a demo district starts at its own "today"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.core.clock import simulated_clock


def test_clock_starts_at_the_given_instant_and_runs_on() -> None:
    clock = simulated_clock("2018-06-29T09:00:00+08:00")
    first = clock()
    assert abs(first - datetime(2018, 6, 29, 1, 0, tzinfo=UTC)) < timedelta(seconds=5)
    assert clock() >= first


def test_a_naive_time_is_read_in_shanghai() -> None:
    clock = simulated_clock("2018-06-29T09:00:00")
    assert abs(clock() - datetime(2018, 6, 29, 1, 0, tzinfo=UTC)) < timedelta(seconds=5)


def test_an_anchor_makes_clocks_started_apart_agree() -> None:
    """Three services started seconds apart read CLOCK_AT at the same anchor instant."""
    anchor = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    first = simulated_clock("2018-06-29T09:00:00+08:00", anchor)
    second = simulated_clock("2018-06-29T09:00:00+08:00", anchor)
    expected = datetime(2018, 6, 29, 2, 0, tzinfo=UTC)  # an hour after the anchor
    assert abs(first() - expected) < timedelta(seconds=5)
    assert abs(second() - first()) < timedelta(seconds=1)


def test_install_sets_the_clock_and_the_timezone_from_settings() -> None:
    from services.core import clock
    from services.core.settings import Settings

    try:
        clock.install(Settings(clock_at="2018-06-29T09:00:00", timezone="Asia/Urumqi"))
        assert clock.local_tz().key == "Asia/Urumqi"
        assert clock.today() == date(2018, 6, 29)
        assert abs(clock.now() - datetime(2018, 6, 29, 3, 0, tzinfo=UTC)) < timedelta(seconds=5)
        clock.install(Settings())  # no CLOCK_AT: the clock is left as it is
        assert clock.today() == date(2018, 6, 29)
    finally:
        clock.set_clock(None)
        clock.install(Settings())
