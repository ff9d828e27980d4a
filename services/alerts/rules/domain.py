"""The rule settings' own rules: what a source's thresholds may be (pure)."""

from __future__ import annotations

from enum import StrEnum

from services.core.errors import ValidationFailed


class RuleSource(StrEnum):
    """What a rule setting is for: one item source (contracts' ``ItemSource``), or DEFAULT
    for every source without its own setting."""

    DEFAULT = "DEFAULT"
    SUPERIOR_ASSIGNMENT = "SUPERIOR_ASSIGNMENT"
    LEADER_INSTRUCTION = "LEADER_INSTRUCTION"
    KEY_WORK = "KEY_WORK"
    MAJOR_PROJECT = "MAJOR_PROJECT"
    CONGRESS_PROPOSAL = "CONGRESS_PROPOSAL"
    CPPCC_PROPOSAL = "CPPCC_PROPOSAL"
    PUBLIC_REQUEST = "PUBLIC_REQUEST"
    OTHER = "OTHER"


def checked_source(source: str, lag_tolerance: int, stall_cycles: int) -> str:
    """The source a new settings version is for (trimmed), or a validation error."""
    if not source.strip():
        raise ValidationFailed("来源不能为空", field="source")
    if not 0 <= lag_tolerance <= 100:
        raise ValidationFailed("容差须在 0–100 之间", field="lagTolerance")
    if not 1 <= stall_cycles <= 52:
        raise ValidationFailed("停滞周期数须在 1–52 之间", field="stallCycles")
    return source.strip()
