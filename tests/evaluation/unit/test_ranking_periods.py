"""Ranking, weights, periods, unit evaluation, up/down rules and exemption rules."""

from __future__ import annotations

from datetime import date

import pytest

from services.core.auth import Principal, Role
from services.core.errors import Conflict, InvalidTransition, ValidationFailed
from services.evaluation.domain import exemptions, ranking, updown
from services.evaluation.domain.periods import PeriodSpan, validate_period
from services.evaluation.domain.units import (
    DEFAULT_UNIT_WEIGHTS,
    UnitFacts,
    evaluate_units,
    validate_unit_weights,
)


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


def facts(unit: str, cat: str, **kw: object) -> UnitFacts:
    base: dict[str, object] = dict(
        workload=10.0,
        items=5,
        difficulty_sum=5.0,
        due=4,
        on_time=4,
        verified=2,
        disputed=0,
        satisfaction=90.0,
    )
    base.update(kw)
    return UnitFacts(unit, cat, **base)  # type: ignore[arg-type]


def test_units_ranked_within_category_and_veto_fails() -> None:
    results = evaluate_units(
        [
            facts("s1", "街道", workload=20.0),
            facts("s2", "街道", workload=10.0),
            facts("s3", "街道", workload=30.0, veto_reason="发生重大安全事故"),
            facts("d1", "部门", on_time=1),
        ],
        DEFAULT_UNIT_WEIGHTS,
    )
    by = {r.unit_id: r for r in results}
    assert by["s1"].rank == 1 and by["s2"].rank == 2
    assert by["s3"].failed and by["s3"].rank == 3  # highest workload, still last
    assert by["d1"].rank == 1  # alone in its category
    assert by["s1"].workload_score == pytest.approx(66.67, abs=0.01)
    assert any("一票否决" in line for line in by["s3"].lines)


def test_missing_survey_redistributes_effect_weights() -> None:
    (r,) = evaluate_units(
        [facts("u", "c", satisfaction=None, on_time=2, due=4, verified=1, disputed=1)],
        DEFAULT_UNIT_WEIGHTS,
    )
    assert r.effect_score == pytest.approx((0.5 * 50 + 0.2 * 50) / 0.7, abs=0.01)


def test_unit_weights_validation() -> None:
    bad = {**DEFAULT_UNIT_WEIGHTS, "workload": 0.5}
    with pytest.raises(ValidationFailed):
        validate_unit_weights(bad)
    bad_parts = {**DEFAULT_UNIT_WEIGHTS, "effect_parts": {"on_time": 1.0}}
    with pytest.raises(ValidationFailed):
        validate_unit_weights(bad_parts)
    assert validate_unit_weights(DEFAULT_UNIT_WEIGHTS)["workload"] == 0.3


def standings(ranks: dict[str, int], reds: dict[str, int] | None = None) -> list[updown.Standing]:
    reds = reds or {}
    return [updown.Standing(p, r, reds.get(p, 0)) for p, r in ranks.items()]


def test_up_down_flags_with_evidence() -> None:
    ten = {f"p{i}": i for i in range(1, 11)}
    q1 = standings(ten)
    q2 = standings(ten, {"p1": 1, "p5": 3})
    flags = updown.evaluate_flags(updown.DEFAULT_UP_DOWN_RULES, [("Q1", q1), ("Q2", q2)])
    got = {(f.rule_code, f.person_id) for f in flags}
    assert ("BOTTOM_10_TWO_PERIODS", "p10") in got
    assert ("RED_3_IN_PERIOD", "p5") in got
    assert ("TOP_10_NO_RED", "p1") not in got  # top, but had a RED item
    bottom = next(f for f in flags if f.rule_code == "BOTTOM_10_TWO_PERIODS")
    assert bottom.evidence["periods"] == ["Q1", "Q2"] and bottom.evidence["ranks"] == [
        "10/10",
        "10/10",
    ]


def test_bottom_rule_needs_two_periods() -> None:
    flags = updown.evaluate_flags(
        updown.DEFAULT_UP_DOWN_RULES, [("Q1", standings({"a": 1, "b": 2}))]
    )
    assert not [f for f in flags if f.rule_code == "BOTTOM_10_TWO_PERIODS"]
    assert [f.person_id for f in flags if f.rule_code == "TOP_10_NO_RED"] == ["a"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        [{"code": "X", "direction": "UP", "kind": "NOPE"}],
        [{"code": "X", "direction": "UP", "kind": "TOP_PERCENT_NO_RED", "percent": 120}],
    ],
)
def test_bad_up_down_rules(body: object) -> None:
    with pytest.raises(ValidationFailed):
        updown.validate_up_down_rules(body)


def p(*roles: Role, subject: str = "me", units: tuple[str, ...] = ()) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles), unit_ids=frozenset(units))


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (p(Role.SUPERVISION_OFFICE), True),
        (p(Role.CADRE, subject="owner"), True),
        (p(Role.CADRE, subject="someone"), False),
        (p(Role.UNIT_HEAD, units=("u1",)), True),
        (p(Role.UNIT_HEAD, units=("u9",)), False),
        (p(Role.LEADER), False),
    ],
)
def test_who_may_request(principal: Principal, allowed: bool) -> None:
    assert exemptions.may_request(principal, {"u1"}, {"owner"}) is allowed


def test_only_the_office_decides_and_transitions() -> None:
    with pytest.raises(exemptions.DecisionNotAllowed):
        exemptions.check_decider(p(Role.LEADER))
    exemptions.check_decider(p(Role.SUPERVISION_OFFICE))
    with pytest.raises(InvalidTransition):
        exemptions.check_transition("APPROVED", "DECIDE")
    with pytest.raises(InvalidTransition):
        exemptions.check_transition("PENDING", "REVOKE")
    with pytest.raises(ValidationFailed):
        exemptions.validate_request("BAD_LUCK", "理由", ["材料"])
    with pytest.raises(ValidationFailed):
        exemptions.validate_request("FORCE_MAJEURE", "理由", [" "])
    assert len(exemptions.CASE_TYPES) == 8
