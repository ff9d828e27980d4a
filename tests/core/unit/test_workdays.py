"""Working days on the official Chinese calendar: holidays and swapped workdays."""

from __future__ import annotations

from datetime import date

import pytest

from services.core.calendar import is_workday, workdays_between

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
        ("2026-12-30", "2027-01-05", 4),  # across the end of the shipped calendar
        ("2030-01-04", "2030-01-07", 1),  # Friday to Monday, no calendar data
    ],
)
def test_workdays_between_is_half_open(a: str, b: str, expected: int) -> None:
    assert workdays_between(D(a), D(b)) == expected
