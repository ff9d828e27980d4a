"""Up/down rules."""

from __future__ import annotations

import pytest

from services.core.errors import ValidationFailed
from services.evaluation.updown import domain as updown


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
