"""Working days on the official Chinese calendar: holidays and swapped workdays; the
office's own years; Monday–Friday (and a warning) past the last year it has."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from services.core import calendar
from services.core.calendar import (
    HOLIDAY,
    WORKDAY,
    Calendar,
    Year,
    add_workdays,
    coverage,
    is_workday,
    workdays_between,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2018-02-11", True),  # Sunday, swapped workday before Spring Festival
        ("2018-02-15", False),  # Spring Festival eve holiday (Thursday)
        ("2018-02-21", False),  # last Spring Festival holiday (Wednesday)
        ("2018-02-24", True),  # Saturday, swapped workday after Spring Festival
        ("2018-09-24", False),  # Mid-Autumn Festival (Monday)
        ("2018-09-29", True),  # Saturday, swapped workday before National Day
        ("2018-09-30", True),  # Sunday, swapped workday before National Day
        ("2018-10-01", False),  # National Day
        ("2018-10-08", True),  # first workday after National Day
        ("2018-06-16", False),  # ordinary Saturday
        ("2030-01-07", True),  # past the calendar's years: Mon–Fri
        ("2030-01-05", False),
    ],
)
def test_is_workday(day: str, expected: bool) -> None:
    assert is_workday(D(day)) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2018-02-14", "2018-02-22", 1),  # the whole Spring Festival break counts once
        ("2018-02-09", "2018-02-12", 2),  # Sunday 11th is a workday
        ("2018-02-23", "2018-02-26", 2),  # Saturday 24th is a workday
        ("2018-09-28", "2018-10-08", 3),  # 29th, 30th, 8th
        ("2018-03-01", "2018-03-01", 0),  # empty range
        ("2018-03-02", "2018-03-01", -1),  # reversed
        ("2026-09-30", "2026-10-09", 2),  # National Day 2026: only the 8th and 9th
        ("2030-01-04", "2030-01-07", 1),  # Friday to Monday, no calendar data
    ],
)
def test_workdays_between_is_half_open(a: str, b: str, expected: int) -> None:
    assert workdays_between(D(a), D(b)) == expected


# the office's schedule for 2027 (as the State Council would publish it; test data)
OFFICE_2027 = Year(
    2027,
    {
        D("2027-01-01"): (HOLIDAY, "元旦"),
        **{D(f"2027-02-{d:02d}"): (HOLIDAY, "春节") for d in range(5, 12)},
        D("2027-02-13"): (WORKDAY, "春节"),
        D("2027-02-14"): (WORKDAY, "春节"),
    },
)


@pytest.fixture
def office_calendar() -> Iterator[None]:
    calendar.install(Calendar({**calendar.official_years(), 2027: OFFICE_2027}))
    try:
        yield
    finally:
        calendar.reset()


def test_2027_without_an_office_schedule_is_monday_to_friday_and_says_so() -> None:
    # New Year's Day 2027 is a Friday: without a schedule it counts as a working day
    assert workdays_between(D("2026-12-30"), D("2027-01-05")) == 4
    assert is_workday(D("2027-01-01")) and is_workday(D("2027-02-08"))
    assert add_workdays(D("2026-12-31"), 1) == D("2027-01-01")
    cov = coverage(D("2027-01-04"))
    assert cov.last_year == 2026 and cov.days_left == -4
    assert cov.warning and "2026" in cov.warning and "周一至周五" in cov.warning


def test_2027_with_the_office_schedule(office_calendar: None) -> None:
    assert workdays_between(D("2026-12-30"), D("2027-01-05")) == 3  # Jan 1 is a holiday
    assert not is_workday(D("2027-01-01"))
    assert not is_workday(D("2027-02-08"))  # Spring Festival Monday
    assert is_workday(D("2027-02-13"))  # Saturday worked
    assert add_workdays(D("2026-12-31"), 1) == D("2027-01-04")
    assert workdays_between(D("2027-02-04"), D("2027-02-15")) == 4  # 12th to 15th
    assert coverage(D("2027-01-04")).warning is None
    assert coverage(D("2027-01-04")).last_year == 2027


@pytest.mark.parametrize(
    ("today", "days_left", "warned"),
    [
        ("2026-10-01", 91, False),
        ("2026-11-01", 60, True),  # 60 days before the cliff: the banner appears
        ("2026-10-31", 61, False),
        ("2026-12-31", 0, True),
        ("2027-03-01", -60, True),
    ],
)
def test_coverage_warns_from_60_days_before_the_cliff(
    today: str, days_left: int, warned: bool
) -> None:
    cov = coverage(D(today))
    assert (cov.last_year, cov.days_left, bool(cov.warning)) == (2026, days_left, warned)


def test_a_year_between_covered_years_is_monday_to_friday() -> None:
    cal = Calendar({2018: calendar.official_years()[2018], 2020: calendar.official_years()[2020]})
    # 2019-10-01 (National Day, Tuesday) is an ordinary Tuesday when 2019 is not covered
    assert cal.index(D("2019-10-01")) - cal.index(D("2019-09-30")) == 1
    assert not cal.covers(D("2019-10-01")) and cal.covers(D("2020-10-01"))
    assert cal.index(D("2020-10-01")) == cal.index(D("2020-09-30"))  # holiday


def test_the_index_stays_fast_for_the_colour_sweep() -> None:
    import time

    started = time.perf_counter()
    for _ in range(100_000):
        workdays_between(D("2018-01-01"), D("2018-06-29"))
    assert time.perf_counter() - started < 5  # generous: ~0.1 s on a laptop
