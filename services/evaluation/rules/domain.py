"""The office's editable rule sets (pure): the four kinds, their defaults, validation."""

from __future__ import annotations

from typing import Any

from services.core.errors import ValidationFailed
from services.evaluation.ledger import domain as scoring
from services.evaluation.periods.domain import DEFAULT_SELECTION_WEIGHTS, validate_weights
from services.evaluation.units.domain import DEFAULT_UNIT_WEIGHTS, validate_unit_weights
from services.evaluation.updown import domain as updown

RULE_KINDS: dict[str, Any] = {
    "SCORING": scoring.DEFAULT_RULES,
    "SELECTION_WEIGHTS": DEFAULT_SELECTION_WEIGHTS,
    "UNIT_WEIGHTS": DEFAULT_UNIT_WEIGHTS,
    "UP_DOWN": updown.DEFAULT_UP_DOWN_RULES,
}


def validate_rule_body(kind: str, body: Any) -> Any:
    if kind == "SCORING":
        return scoring.validate_rules(body)
    if kind == "SELECTION_WEIGHTS":
        return validate_weights(body, "weights", ("performance",))
    if kind == "UNIT_WEIGHTS":
        return validate_unit_weights(body)
    if kind == "UP_DOWN":
        return updown.validate_up_down_rules(body)
    raise ValidationFailed("未知的规则类别", field="kind")
