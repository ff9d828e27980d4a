"""Assessment periods (pure): quarters and years that must not overlap within a kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

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
