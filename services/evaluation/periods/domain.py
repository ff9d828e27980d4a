"""Assessment periods and their rankings (pure): periods that must not overlap within a
kind, ranking, normalisation, weights and the selection composite, a cadre's standing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.core.errors import Conflict, ValidationFailed

KINDS = ("QUARTER", "YEAR")


@dataclass(frozen=True)
class PeriodSpan:
    kind: str
    starts_on: date
    ends_on: date


def validate_period(new: PeriodSpan, existing: Iterable[tuple[str, PeriodSpan]]) -> None:
    if new.kind not in KINDS:
        raise ValidationFailed("考核期类型须为 QUARTER 或 YEAR", field="kind")
    if new.ends_on < new.starts_on:
        raise ValidationFailed("结束日期早于开始日期", field="endsOn")
    if (new.ends_on - new.starts_on).days > 366:
        raise ValidationFailed("考核期不能超过一年", field="endsOn")
    for name, old in existing:
        if old.kind == new.kind and old.starts_on <= new.ends_on and new.starts_on <= old.ends_on:
            raise Conflict(f"与已有考核期「{name}」重叠", field="startsOn")


DEFAULT_SELECTION_WEIGHTS: dict[str, float] = {
    "performance": 0.4,
    "democratic_evaluation": 0.3,
    "organisation_review": 0.3,
}
WEIGHT_TOLERANCE = 0.001


def validate_weights(weights: Any, field: str, required: Sequence[str] = ()) -> dict[str, float]:
    """Weights are non-negative numbers summing to 1 (±0.001); names given must be present."""
    if not isinstance(weights, dict) or not weights:
        raise ValidationFailed("权重必须是非空对象", field=field)
    out: dict[str, float] = {}
    for name, value in weights.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValidationFailed(f"权重 {name} 必须是数字", field=field)
        if value < 0:
            raise ValidationFailed(f"权重 {name} 不能为负", field=field)
        out[str(name)] = float(value)
    missing = [r for r in required if r not in out]
    if missing:
        raise ValidationFailed(f"缺少权重: {', '.join(missing)}", field=field)
    total = sum(out.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValidationFailed(f"权重之和须为1 (当前为{total:g})", field=field)
    return out


def competition_ranks(scores: Sequence[float]) -> list[int]:
    """Standard competition ranking (1, 2, 2, 4) for scores, highest first; same order as input."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    ranks = [0] * len(scores)
    for pos, i in enumerate(order):
        if pos and math.isclose(scores[i], scores[order[pos - 1]], abs_tol=1e-9):
            ranks[i] = ranks[order[pos - 1]]
        else:
            ranks[i] = pos + 1
    return ranks


def normalise(scores: Sequence[float]) -> list[float]:
    """Min-max to 0..100; everyone equal scores 100."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if math.isclose(low, high):
        return [100.0 for _ in scores]
    return [round(100 * (s - low) / (high - low), 2) for s in scores]


@dataclass(frozen=True)
class Ranked:
    key: str
    group: str
    score: float
    rank: int
    rank_in_group: int
    normalised: float


def rank_all(rows: Sequence[tuple[str, str, float]]) -> list[Ranked]:
    """rows: (key, rank group, score) -> ranked overall and within the group, best first."""
    scores = [r[2] for r in rows]
    overall = competition_ranks(scores)
    norm = normalise(scores)
    in_group: dict[int, int] = {}
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r[1], []).append(i)
    for members in groups.values():
        for i, rank in zip(members, competition_ranks([scores[m] for m in members]), strict=True):
            in_group[i] = rank
    ranked = [
        Ranked(r[0], r[1], r[2], overall[i], in_group[i], norm[i]) for i, r in enumerate(rows)
    ]
    return sorted(ranked, key=lambda x: (x.rank, x.key))


def composite(
    normalised_performance: float, components: Mapping[str, float], weights: Mapping[str, float]
) -> tuple[float | None, list[str]]:
    """Selection composite; None while a weighted component is missing. Returns explanation lines."""
    lines = [f"政绩档案(归一化){normalised_performance:g} × {weights.get('performance', 0):g}"]
    total = normalised_performance * weights.get("performance", 0.0)
    missing = False
    for name, weight in weights.items():
        if name == "performance":
            continue
        if name not in components:
            lines.append(f"{name}: 未录入 × {weight:g}")
            missing = True
            continue
        total += components[name] * weight
        lines.append(f"{name}: {components[name]:g} × {weight:g}")
    return (None if missing else round(total, 2)), lines


def bottom_cutoff(n: int, percent: float) -> int:
    """Ranks strictly greater than the returned position are in the bottom `percent`."""
    return n - math.ceil(n * percent / 100)


def top_cutoff(n: int, percent: float) -> int:
    """Ranks at or below the returned position are in the top `percent` (at least 1 if n)."""
    return max(math.ceil(n * percent / 100), 1 if n else 0)


@dataclass
class CadreStanding:
    person_id: str
    group: str
    score: float
    entries: int
    rank: int
    rank_in_group: int
    normalised: float
    composite: float | None
    red_items: int
    red_item_ids: list[str] = field(default_factory=list)
    composite_lines: list[str] = field(default_factory=list)
