"""Events produced by the evaluation service (stream EVALUATION, subjects ``evaluation.>``)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from services.core.events import EventContract, registry


class PeriodClosed(EventContract):
    """An assessment period was closed and its snapshot frozen (aggregate: the period)."""

    type: ClassVar[str] = "evaluation.period.closed"
    period_id: str
    name: str
    starts_on: date
    ends_on: date


CONTRACTS = registry(PeriodClosed)
