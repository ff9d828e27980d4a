"""Ranking, weights and periods."""

from __future__ import annotations

from datetime import date

import pytest

from services.core.errors import Conflict, ValidationFailed
from services.evaluation.periods import domain as ranking
from services.evaluation.periods.domain import PeriodSpan, validate_period


@pytest.mark.parametrize(
    ("scores", "ranks"),
    [
        ([10, 5, 5, 1], [1, 2, 2, 4]),
        ([1, 2, 3], [3, 2, 1]),
        ([0, 0], [1, 1]),
        ([], []),
    ],
)
def test_competition_ranks(scores: list[float], ranks: list[int]) -> None:
    assert ranking.competition_ranks(scores) == ranks


def test_rank_all_ranks_within_groups() -> None:
    rows = [("a", "正科", 10.0), ("b", "副科", 8.0), ("c", "正科", 6.0), ("d", "副科", 9.0)]
    ranked = {r.key: r for r in ranking.rank_all(rows)}
    assert [ranked[k].rank for k in "abcd"] == [1, 3, 4, 2]
    assert [ranked[k].rank_in_group for k in "abcd"] == [1, 2, 2, 1]
    assert ranked["a"].normalised == 100.0 and ranked["c"].normalised == 0.0


@pytest.mark.parametrize(
    "weights",
    [
        {"performance": 0.4, "other": 0.5},  # sums to 0.9
        {"performance": 0.4, "other": 0.7},
        {"performance": -0.4, "other": 1.4},
        {"other": 1.0},  # performance missing
        {"performance": "0.4", "other": 0.6},
        {},
    ],
)
def test_weights_that_do_not_sum_sensibly(weights: dict[str, object]) -> None:
    with pytest.raises(ValidationFailed):
        ranking.validate_weights(weights, "weights", ("performance",))


def test_weights_within_tolerance() -> None:
    assert ranking.validate_weights({"performance": 0.4, "x": 0.6000001}, "w", ("performance",))


def test_composite_needs_every_component() -> None:
    w = {"performance": 0.4, "democratic_evaluation": 0.3, "organisation_review": 0.3}
    value, lines = ranking.composite(50, {"democratic_evaluation": 80}, w)
    assert value is None and any("未录入" in line for line in lines)
    value, _ = ranking.composite(50, {"democratic_evaluation": 80, "organisation_review": 90}, w)
    assert value == pytest.approx(0.4 * 50 + 0.3 * 80 + 0.3 * 90)


@pytest.mark.parametrize(
    ("new", "conflict"),
    [
        (
            PeriodSpan("QUARTER", date(2018, 3, 31), date(2018, 6, 30)),
            True,
        ),  # touches Q1's last day
        (PeriodSpan("QUARTER", date(2018, 4, 1), date(2018, 6, 30)), False),
        (PeriodSpan("YEAR", date(2018, 1, 1), date(2018, 12, 31)), False),  # other kind
    ],
)
def test_periods_do_not_overlap_within_a_kind(new: PeriodSpan, conflict: bool) -> None:
    existing = [("2018年第一季度", PeriodSpan("QUARTER", date(2018, 1, 1), date(2018, 3, 31)))]
    if conflict:
        with pytest.raises(Conflict):
            validate_period(new, existing)
    else:
        validate_period(new, existing)


@pytest.mark.parametrize(
    "span",
    [
        PeriodSpan("QUARTER", date(2018, 4, 1), date(2018, 3, 1)),
        PeriodSpan("MONTH", date(2018, 4, 1), date(2018, 4, 30)),
        PeriodSpan("YEAR", date(2018, 1, 1), date(2019, 6, 30)),
    ],
)
def test_invalid_periods(span: PeriodSpan) -> None:
    with pytest.raises(ValidationFailed):
        validate_period(span, [])
