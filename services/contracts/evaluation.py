"""Events produced by the evaluation service (stream EVALUATION, subjects ``evaluation.>``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from services.core.events import EventContract, registry


class PeriodClosed(EventContract):
    """An assessment period was closed and its snapshot frozen (aggregate: the period)."""

    type: ClassVar[str] = "evaluation.period.closed"
    period_id: str
    name: str
    starts_on: date
    ends_on: date


class RankingPublished(EventContract):
    """A closed period's unit ranking was published: one event per ranked unit, so each
    department's system learns its own units' standing and no other's (aggregate: the
    period's ranking of that unit). ``rank`` is within ``category`` (of ``ranked`` units);
    a failed (vetoed) unit ranks last."""

    type: ClassVar[str] = "evaluation.ranking.published"
    period_id: str
    name: str
    starts_on: date
    ends_on: date
    unit_id: str
    category: str
    rank: int
    ranked: int
    total: float
    failed: bool = False
    published_at: datetime


CONTRACTS = registry(PeriodClosed, RankingPublished)
