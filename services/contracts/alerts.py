"""Events produced by the alerts service (stream ALERTS, subjects ``alerts.>``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from services.core.events import EventContract, registry


class LevelChanged(EventContract):
    """An item's colour changed (aggregate: the item; version: the alert's own counter)."""

    type: ClassVar[str] = "alerts.level.changed"
    item_id: str
    unit_ids: list[str] = Field(default_factory=list)
    source: str | None = None
    previous_level: str | None = None  # RED | BLUE | YELLOW | GREEN | None
    level: str | None = None
    reason: str = ""
    rule_version: int = 1
    changed_at: datetime
    responsible_leader_id: str | None = None
    owner_ids: list[str] = Field(default_factory=list)
    # added with the colour engine (optional, so older events still decode)
    code: str = ""
    title: str = ""
    lead_unit_id: str | None = None
    deadline: date | None = None


CONTRACTS = registry(LevelChanged)
