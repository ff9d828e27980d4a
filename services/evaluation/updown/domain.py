"""Up/down rules (能上能下, pure): rules as data, evaluated over period rankings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.core.errors import ValidationFailed
from services.evaluation.periods.domain import bottom_cutoff, top_cutoff

DEFAULT_UP_DOWN_RULES: list[dict[str, Any]] = [
    {
        "code": "BOTTOM_10_TWO_PERIODS",
        "direction": "DOWN",
        "kind": "BOTTOM_PERCENT_CONSECUTIVE",
        "percent": 10,
        "periods": 2,
        "label": "连续两个考核期排名后10%",
    },
    {
        "code": "RED_3_IN_PERIOD",
        "direction": "DOWN",
        "kind": "RED_ITEMS_AT_LEAST",
        "count": 3,
        "label": "一个考核期内3项及以上事项红色预警",
    },
    {
        "code": "TOP_10_NO_RED",
        "direction": "UP",
        "kind": "TOP_PERCENT_NO_RED",
        "percent": 10,
        "label": "排名前10%且无红色预警",
    },
]

KINDS = {
    "BOTTOM_PERCENT_CONSECUTIVE": ("percent", "periods"),
    "RED_ITEMS_AT_LEAST": ("count",),
    "TOP_PERCENT_NO_RED": ("percent",),
}


def validate_up_down_rules(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise ValidationFailed("能上能下规则必须是列表", field="rules")
    codes = set()
    for rule in body:
        if not isinstance(rule, dict) or rule.get("kind") not in KINDS:
            raise ValidationFailed(f"未知的规则类型: {rule!r}", field="rules")
        if rule.get("direction") not in ("UP", "DOWN") or not rule.get("code"):
            raise ValidationFailed("规则须有 code 和 direction(UP/DOWN)", field="rules")
        if rule["code"] in codes:
            raise ValidationFailed(f"规则代码重复: {rule['code']}", field="rules")
        codes.add(rule["code"])
        for key in KINDS[rule["kind"]]:
            v = rule.get(key)
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                raise ValidationFailed(f"规则 {rule['code']} 的 {key} 须为正数", field="rules")
            if key == "percent" and v > 100:
                raise ValidationFailed("百分比不能超过100", field="rules")
    return body


@dataclass(frozen=True)
class Standing:
    """One cadre in one period's ranking."""

    person_id: str
    rank: int
    red_items: int
    red_item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flag:
    person_id: str
    rule_code: str
    direction: str
    evidence: dict[str, Any]


def evaluate_flags(
    rules: Sequence[Mapping[str, Any]],
    periods: Sequence[tuple[str, Sequence[Standing]]],
) -> list[Flag]:
    """periods: (period name, standings), the evaluated period LAST, earlier ones before it."""
    if not periods:
        return []
    current_name, current = periods[-1]
    flags: list[Flag] = []
    for rule in rules:
        kind = rule["kind"]
        if kind == "RED_ITEMS_AT_LEAST":
            for s in current:
                if s.red_items >= rule["count"]:
                    flags.append(
                        Flag(
                            s.person_id,
                            rule["code"],
                            rule["direction"],
                            {
                                "label": rule.get("label", ""),
                                "periods": [current_name],
                                "red_items": s.red_items,
                                "items": list(s.red_item_ids),
                            },
                        )
                    )
        elif kind == "TOP_PERCENT_NO_RED":
            cut = top_cutoff(len(current), rule["percent"])
            for s in current:
                if s.rank <= cut and s.red_items == 0:
                    flags.append(
                        Flag(
                            s.person_id,
                            rule["code"],
                            rule["direction"],
                            {
                                "label": rule.get("label", ""),
                                "periods": [current_name],
                                "rank": s.rank,
                                "of": len(current),
                            },
                        )
                    )
        elif kind == "BOTTOM_PERCENT_CONSECUTIVE":
            needed = int(rule["periods"])
            window = periods[-needed:]
            if len(window) < needed:
                continue
            bottoms: list[dict[str, tuple[int, int]]] = []
            for _, standings in window:
                cut = bottom_cutoff(len(standings), rule["percent"])
                bottoms.append(
                    {s.person_id: (s.rank, len(standings)) for s in standings if s.rank > cut}
                )
            for person in set.intersection(*(set(b) for b in bottoms)):
                flags.append(
                    Flag(
                        person,
                        rule["code"],
                        rule["direction"],
                        {
                            "label": rule.get("label", ""),
                            "periods": [name for name, _ in window],
                            "ranks": [f"{b[person][0]}/{b[person][1]}" for b in bottoms],
                        },
                    )
                )
    return sorted(flags, key=lambda f: (f.rule_code, f.person_id))
