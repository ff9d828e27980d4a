"""Scoring rules are data: every function takes the rules; boundary cases listed."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from services.core import clock
from services.core.errors import ValidationFailed
from services.evaluation.ledger import domain as scoring
from services.evaluation.ledger.domain import DEFAULT_RULES, Rules

RULES = Rules(1, DEFAULT_RULES)


@pytest.mark.parametrize(
    ("completed_on", "deadline", "rule", "points"),
    [
        ("2018-06-28", "2018-06-29", "COMPLETED_ON_TIME", 5.0 * 2 * 1.5),
        ("2018-06-29", "2018-06-29", "COMPLETED_ON_TIME", 5.0 * 2 * 1.5),  # on the deadline day
        ("2018-07-01", "2018-06-29", "COMPLETED_ON_TIME", 5.0 * 2 * 1.5),  # the weekend after
        ("2018-07-02", "2018-06-29", "COMPLETED_LATE", (-3.0 - 0.1) * 3),  # one working day
        ("2018-07-13", "2018-06-29", "COMPLETED_LATE", (-3.0 - 1.0) * 3),  # ten working days
        ("2018-10-08", "2018-09-28", "COMPLETED_LATE", (-3.0 - 0.3) * 3),  # 29th, 30th, 8th
        ("2019-06-28", "2018-06-29", "COMPLETED_LATE", (-3.0 - 3.0) * 3),  # capped at 30 days
    ],
)
def test_completion_is_late_by_working_days_past_the_deadline(
    completed_on: str, deadline: str, rule: str, points: float
) -> None:
    entry = scoring.score_completion(
        RULES, "事项", 2, 1.5, date.fromisoformat(completed_on), date.fromisoformat(deadline)
    )
    assert entry.rule == rule
    assert entry.points == pytest.approx(round(points, 2))
    assert f"时限{deadline}" in entry.explanation


def test_an_approved_extension_moves_the_deadline_and_is_its_own_smaller_deduction() -> None:
    on_time = scoring.score_completion(
        RULES, "事项", 1, 1.0, date(2018, 7, 20), date(2018, 7, 31), False, date(2018, 6, 29)
    )
    assert on_time.rule == "COMPLETED_ON_TIME"
    assert "经批准延期至2018-07-31, 原定时限2018-06-29" in on_time.explanation
    late = scoring.score_completion(
        RULES, "事项", 1, 1.0, date(2018, 8, 2), date(2018, 7, 31), False, date(2018, 6, 29)
    )
    assert (late.rule, late.points) == ("COMPLETED_LATE", -3.2)  # 2 working days past 07-31
    extension = scoring.score_extension_approved(RULES, "事项", 2, 1.5, "2018-07-31")
    assert (extension.rule, extension.points) == ("EXTENSION_APPROVED", -3.0)
    assert (
        0
        > extension.points
        > scoring.score_completion(
            RULES, "事项", 2, 1.5, date(2018, 7, 2), date(2018, 6, 29)
        ).points
    )
    body = copy.deepcopy(DEFAULT_RULES)
    body["extension_approved"]["points"] = -0.2
    assert scoring.score_extension_approved(Rules(2, body), "事项", 1, 1.0, "x").points == -0.2
    old = copy.deepcopy(DEFAULT_RULES)
    del old["extension_approved"]  # a rule set saved before the rule existed
    assert scoring.validate_rules(old) is old
    assert scoring.score_extension_approved(Rules(3, old), "事项", 1, 1.0, "x").points == -1.0


def test_leader_gets_the_configured_share() -> None:
    owner = scoring.score_completion(RULES, "事项", 1, 1.0, date(2018, 1, 1), date(2018, 1, 2))
    leader = scoring.score_completion(
        RULES, "事项", 1, 1.0, date(2018, 1, 1), date(2018, 1, 2), is_leader=True
    )
    assert leader.points == owner.points * 0.5


def test_rules_change_the_points() -> None:
    body = copy.deepcopy(DEFAULT_RULES)
    body["colour_entered"]["RED"] = -7.5
    entry = scoring.score_colour_entered(Rules(2, body), "RED", "事项")
    assert entry is not None and entry.points == -7.5 and entry.rule == "COLOUR_RED"
    assert scoring.score_colour_entered(RULES, "GREEN", "事项") is None


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("completed_on_time", "points"), -1),
        (("completed_late", "points"), 5),
        (("leader_share",), 1.5),
        (("colour_entered", "RED"), "a lot"),
        (("item_taken_on", "points"), float("nan")),
    ],
)
def test_bad_rules_are_rejected(path: tuple[str, ...], value: object) -> None:
    body = copy.deepcopy(DEFAULT_RULES)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValidationFailed):
        scoring.validate_rules(body)


def test_missing_rule_is_rejected() -> None:
    body = copy.deepcopy(DEFAULT_RULES)
    del body["colour_entered"]["BLUE"]
    with pytest.raises(ValidationFailed, match=r"colour_entered\.BLUE"):
        scoring.validate_rules(body)
    assert scoring.validate_rules(copy.deepcopy(DEFAULT_RULES)) == DEFAULT_RULES


@pytest.mark.parametrize(
    ("kind", "points", "expected"),
    [("COMMENDATION", 3, 3.0), ("CRITICISM", 2, -2.0), ("COMMENDATION", 10, 10.0)],
)
def test_commendation(kind: str, points: float, expected: float) -> None:
    assert scoring.score_commendation(RULES, kind, points, "事由").points == expected


@pytest.mark.parametrize(
    ("kind", "points"), [("COMMENDATION", 0), ("CRITICISM", 11), ("PRAISE", 1)]
)
def test_commendation_bounds(kind: str, points: float) -> None:
    with pytest.raises(ValidationFailed):
        scoring.score_commendation(RULES, kind, points, "事由")


def test_local_date_is_in_the_given_zone() -> None:
    # 2018-06-30 17:00 UTC is already 2018-07-01 in Shanghai (the zone settings name)
    tz = clock.local_tz()
    assert scoring.local_date(datetime(2018, 6, 30, 17, tzinfo=UTC), tz) == date(2018, 7, 1)
    assert scoring.local_date(datetime(2018, 6, 30, 15, tzinfo=UTC), tz) == date(2018, 6, 30)


@pytest.mark.parametrize(
    ("rule", "points", "penalty"),
    [
        ("COLOUR_RED", -2, True),
        ("COMPLETED_ON_TIME", 5, False),
        ("EXEMPTED:COLOUR_RED", -2, False),
        ("RESTORED:COLOUR_RED", -2, False),
        ("CRITICISM", -2, False),
    ],
)
def test_what_an_exemption_removes(rule: str, points: float, penalty: bool) -> None:
    assert scoring.is_penalty(rule, points) is penalty
