"""Which time-driven reminders are due today for one open item (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.alerts.domain.reminders import (
    DEFAULT_DEADLINE_OFFSETS,
    DEFAULT_ESCALATION_GRACE,
    ItemPeople,
    Kind,
    deadline_reminder,
    red_chase,
    red_escalation,
    report_reminder,
)
from services.core.calendar import workdays_between


@dataclass(frozen=True)
class UnitState:
    unit_id: str
    last_report_on: date | None
    done: bool


@dataclass(frozen=True)
class ItemView:
    id: str
    code: str
    title: str
    start_date: date
    deadline: date
    reporting_cycle: str
    people: ItemPeople
    units: tuple[UnitState, ...]
    level: str | None
    red_since: date | None


@dataclass(frozen=True)
class Due:
    kind: Kind
    reason_key: str
    only_units: tuple[str, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)


def due_reasons(
    item: ItemView,
    today: date,
    offsets: Sequence[int] = DEFAULT_DEADLINE_OFFSETS,
    grace_workdays: int = DEFAULT_ESCALATION_GRACE,
) -> list[Due]:
    """Every time-driven reminder due today for one open item (pure)."""
    due: list[Due] = []
    if key := deadline_reminder(item.id, item.deadline, today, offsets):
        remaining = max(workdays_between(today, item.deadline), 0)
        due.append(Due(Kind.DEADLINE_NEAR, key, params={"remaining": remaining}))
    for unit in item.units:
        if unit.done:
            continue
        found = report_reminder(
            item.id,
            unit.unit_id,
            item.reporting_cycle,
            item.start_date,
            item.deadline,
            unit.last_report_on,
            today,
        )
        if found:
            due.append(Due(Kind.REPORT_DUE, found[0], (unit.unit_id,), {"due": found[1]}))
    if item.level == "RED" and item.red_since is not None:
        if key := red_chase(item.id, item.red_since, today):
            overdue = max(workdays_between(item.deadline, today), 1)
            due.append(Due(Kind.RED_CHASE, key, params={"overdue": overdue}))
        if key := red_escalation(item.id, item.red_since, today, grace_workdays):
            lasted = workdays_between(item.red_since, today)
            due.append(Due(Kind.RED_ESCALATION, key, params={"lasted": lasted}))
    return due
