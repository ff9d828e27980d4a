"""Unit evaluation."""

from __future__ import annotations

import pytest

from services.core.errors import ValidationFailed
from services.evaluation.units.domain import (
    DEFAULT_UNIT_WEIGHTS,
    UnitFacts,
    evaluate_units,
    validate_unit_weights,
)


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
