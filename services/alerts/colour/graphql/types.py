"""The colour engine's GraphQL types: an item's alert, counts, big-screen items, changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import strawberry

from services.alerts.access import sees_item, sees_unit_counts
from services.alerts.colour.domain import Level as DomainLevel
from services.alerts.colour.graphql import loaders
from services.contracts.tasks import ItemSource
from services.core import clock
from services.core.graphql import AppInfo

# the same enum tasks declares for SupervisionItem.source (composition checks the values)
strawberry.enum(ItemSource, name="ItemSource", description="事项来源")

strawberry.enum(DomainLevel, name="AlertLevel", description="四色预警")


@strawberry.type(description="One stretch of time an item spent in one colour.")
class AlertPeriod:
    level: DomainLevel
    previous_level: DomainLevel | None
    reason: str
    rule_version: int | None
    started_at: datetime
    ended_at: datetime | None = strawberry.field(description="null while it is the current colour")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AlertPeriod:
        return cls(
            level=DomainLevel(row["level"]),
            previous_level=DomainLevel(row["previous_level"]) if row["previous_level"] else None,
            reason=row["reason"],
            rule_version=row["rule_version"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
        )


@strawberry.type(description="Time an item has spent in one colour.")
class LevelDuration:
    level: DomainLevel
    seconds: int


@strawberry.type(description="An item's current colour and why.")
class Alert:
    level: DomainLevel | None
    reason: str
    since: datetime | None
    rule_version: int | None = strawberry.field(description="版本: rule settings used")
    planned_percent: float | None = strawberry.field(description="计划进度 for today")
    reported_percent: int | None = strawberry.field(description="已报进度 (lowest open unit)")
    item_id: strawberry.Private[str]

    @strawberry.field(description="颜色变化历史: every colour the item has had, oldest first.")
    async def history(self, info: AppInfo) -> list[AlertPeriod]:
        rows = await loaders.history_by_item_id(info.context).load(self.item_id)
        return [AlertPeriod.from_row(r) for r in rows]

    @strawberry.field(description="各颜色累计时长: total time spent in each colour so far.")
    async def time_in_levels(self, info: AppInfo) -> list[LevelDuration]:
        rows = await loaders.history_by_item_id(info.context).load(self.item_id)
        now = clock.now()
        totals: dict[str, float] = {}
        for r in rows:
            spent = ((r["ended_at"] or now) - r["started_at"]).total_seconds()
            totals[r["level"]] = totals.get(r["level"], 0.0) + max(spent, 0.0)
        return [
            LevelDuration(level=lv, seconds=round(totals[lv.value]))
            for lv in DomainLevel
            if lv.value in totals
        ]


@strawberry.federation.type(keys=["id"], extend=False)
class SupervisionItem:
    id: strawberry.ID

    @strawberry.field(description="四色预警: the item's current colour (null until evaluated).")
    async def alert(self, info: AppInfo) -> Alert | None:
        row = await loaders.alert_by_item_id(info.context).load(str(self.id))
        if row is None or not sees_item(info.context.require(), row):
            return None
        return Alert(
            level=DomainLevel(row["level"]) if row["level"] else None,
            reason=row["reason"],
            since=row["level_since"],
            rule_version=row["rule_version"],
            planned_percent=row["planned_percent"],
            reported_percent=row["reported_percent"],
            item_id=str(self.id),
        )

    @classmethod
    async def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> SupervisionItem | None:
        """Null for an item of the projection the caller may not read (an item not yet
        projected resolves; its fields are null)."""
        row = await loaders.alert_by_item_id(info.context).load(str(id))
        if row is not None and not sees_item(info.context.require(), row):
            return None
        return cls(id=id)


@strawberry.type
class LevelCount:
    level: DomainLevel
    count: int


def level_counts(pairs: list[tuple[str, int]]) -> list[LevelCount]:
    """All four colours, zeros included, most severe first."""
    got = dict(pairs)
    return [LevelCount(level=lv, count=got.get(lv.value, 0)) for lv in DomainLevel]


@strawberry.federation.type(keys=["id"], extend=False)
class Unit:
    id: strawberry.ID

    @strawberry.field(
        description="本单位各颜色事项数 (lead or co-unit); null when the caller may not read"
        " this unit's counts."
    )
    async def alert_counts(self, info: AppInfo) -> list[LevelCount] | None:
        if not sees_unit_counts(info.context.require(), str(self.id)):
            return None
        pairs = await loaders.counts_by_unit_id(info.context).load(str(self.id))
        return level_counts(pairs)

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Unit:
        return cls(id=id)


@strawberry.type(description="Colour counts of one unit.")
class UnitAlertCounts:
    unit: Unit
    counts: list[LevelCount]
    stalled_since: datetime | None = strawberry.field(
        default=None,
        description="停滞最久: since when the unit's longest-stalled (BLUE) item has been"
        " stalled; null when none is",
    )


@strawberry.type(description="Colour counts of one source (事项来源).")
class SourceAlertCounts:
    source: str
    counts: list[LevelCount]


@strawberry.type(description="An item on the big screen: its colour and since when.")
class AlertedItem:
    item: SupervisionItem
    code: str
    title: str
    source: str
    level: DomainLevel
    reason: str
    since: datetime | None
    deadline: date

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AlertedItem:
        return cls(
            item=SupervisionItem(id=strawberry.ID(str(row["id"]))),
            code=row["code"],
            title=row["title"],
            source=row["source"],
            level=DomainLevel(row["level"]),
            reason=row["reason"],
            since=row["level_since"],
            deadline=row["deadline"],
        )


@strawberry.type(description="A colour change pushed to subscribers.")
class AlertLevelChange:
    item: SupervisionItem
    code: str
    title: str
    source: str | None
    unit_ids: list[strawberry.ID]
    previous_level: DomainLevel | None
    level: DomainLevel | None
    reason: str
    rule_version: int
    changed_at: datetime
