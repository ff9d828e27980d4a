"""Unit differentiated evaluation (差异化评价, pure): workload, difficulty, effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.core.errors import ValidationFailed
from services.evaluation.periods.domain import competition_ranks, validate_weights

DEFAULT_UNIT_WEIGHTS: dict[str, Any] = {
    "workload": 0.3,
    "difficulty": 0.2,
    "effect": 0.5,
    "effect_parts": {"on_time": 0.5, "verification": 0.2, "satisfaction": 0.3},
    "co_unit_share": 0.5,
}


def validate_unit_weights(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed("权重必须是对象", field="unitWeights")
    top = validate_weights(
        {k: body.get(k) for k in ("workload", "difficulty", "effect") if k in body},
        "unitWeights",
        ("workload", "difficulty", "effect"),
    )
    parts = validate_weights(
        body.get("effect_parts"),
        "unitWeights.effect_parts",
        ("on_time", "verification", "satisfaction"),
    )
    share = body.get("co_unit_share", 0.5)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ValidationFailed("配合单位系数须在0到1之间", field="unitWeights")
    return {**top, "effect_parts": parts, "co_unit_share": float(share)}


@dataclass(frozen=True)
class UnitFacts:
    unit_id: str
    category: str
    workload: float  # Σ importance × difficulty (× co share for co-units)
    items: int
    difficulty_sum: float
    due: int  # items whose original deadline falls in the period
    on_time: int
    verified: int
    disputed: int
    satisfaction: float | None  # survey 0..100 entered for the period
    veto_reason: str | None = None


@dataclass
class UnitResult:
    unit_id: str
    category: str
    workload_score: float
    difficulty_score: float
    effect_score: float
    total: float
    rank: int = 0
    failed: bool = False
    veto_reason: str | None = None
    lines: list[str] = field(default_factory=list)


def _pct(value: float, maximum: float) -> float:
    return round(100 * value / maximum, 2) if maximum > 0 else 0.0


def evaluate_units(facts: Sequence[UnitFacts], weights: dict[str, Any]) -> list[UnitResult]:
    """Score every unit; rank within its category; a veto fails the unit and ranks it last."""
    by_cat: dict[str, list[UnitFacts]] = {}
    for f in facts:
        by_cat.setdefault(f.category, []).append(f)
    results: list[UnitResult] = []
    parts = weights["effect_parts"]
    for cat, members in sorted(by_cat.items()):
        max_work = max((m.workload for m in members), default=0.0)
        avg_diff = {m.unit_id: (m.difficulty_sum / m.items if m.items else 0.0) for m in members}
        max_diff = max(avg_diff.values(), default=0.0)
        cat_results: list[UnitResult] = []
        for m in members:
            work = _pct(m.workload, max_work)
            diff = _pct(avg_diff[m.unit_id], max_diff)
            on_time = 100.0 * m.on_time / m.due if m.due else 100.0
            checks = m.verified + m.disputed
            verification = 100.0 * m.verified / checks if checks else 100.0
            available = {"on_time": on_time, "verification": verification}
            if m.satisfaction is not None:
                available["satisfaction"] = m.satisfaction
            weight_sum = sum(parts[k] for k in available)
            effect = (
                round(sum(parts[k] * v for k, v in available.items()) / weight_sum, 2)
                if weight_sum
                else 0.0
            )
            total = round(
                weights["workload"] * work
                + weights["difficulty"] * diff
                + weights["effect"] * effect,
                2,
            )
            lines = [
                f"工作量: 加权事项量{m.workload:g}(本类最高{max_work:g}) → {work:g} × {weights['workload']:g}",
                f"难度: 平均难度{avg_diff[m.unit_id]:.2f}(本类最高{max_diff:.2f}) → {diff:g} × {weights['difficulty']:g}",
                f"按期办结率: {m.on_time}/{m.due} → {on_time:.2f}",
                f"核实结果: 属实{m.verified}/不符{m.disputed} → {verification:.2f}",
                "群众满意度: "
                + (
                    f"{m.satisfaction:g}"
                    if m.satisfaction is not None
                    else "未录入(权重按比例分配)"
                ),
                f"成效: {effect:g} × {weights['effect']:g}",
                f"总分: {total:g}",
            ]
            if m.veto_reason:
                lines.append(f"一票否决: {m.veto_reason}")
            cat_results.append(
                UnitResult(
                    m.unit_id,
                    cat,
                    work,
                    diff,
                    effect,
                    total,
                    0,
                    bool(m.veto_reason),
                    m.veto_reason,
                    lines,
                )
            )
        passing = [r for r in cat_results if not r.failed]
        for r, rank in zip(passing, competition_ranks([r.total for r in passing]), strict=True):
            r.rank = rank
        failed = [r for r in cat_results if r.failed]
        for r in failed:
            r.rank = len(passing) + 1
        results += sorted(passing, key=lambda r: (r.rank, r.unit_id)) + sorted(
            failed, key=lambda r: r.unit_id
        )
    return results
