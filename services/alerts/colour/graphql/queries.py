"""Read side of the colour engine: counts and big-screen lists.

Counts and lists cover the items the caller reads (``services.core.access.list_scope``);
counts per unit cover the units whose aggregates the caller reads (``unit_scope``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import strawberry

from services.alerts.access import list_scope, unit_scope
from services.alerts.colour import store
from services.alerts.colour.domain import Level as DomainLevel
from services.alerts.colour.graphql.types import (
    AlertedItem,
    ItemSource,
    LevelCount,
    SourceAlertCounts,
    Unit,
    UnitAlertCounts,
    level_counts,
)
from services.core.graphql import AppInfo
from services.core.ids import try_uuid

MAX_LIST = 200


@strawberry.type
class AlertQuery:
    @strawberry.field(
        description="各颜色事项数: open items per colour, optionally for a unit/source."
    )
    async def alert_counts(
        self,
        info: AppInfo,
        unit_id: strawberry.ID | None = None,
        source: ItemSource | None = None,
    ) -> list[LevelCount]:
        principal = info.context.require()
        unit = try_uuid(unit_id)
        if unit_id and unit is None:
            return level_counts([])
        async with info.context.pool.acquire() as conn:
            rows = await store.count_by_level(conn, list_scope(principal), unit, source)
        return level_counts([(r["level"], r["n"]) for r in rows])

    @strawberry.field(description="按单位统计各颜色事项数 (lead and co-units).")
    async def alert_counts_by_unit(
        self, info: AppInfo, unit_ids: list[strawberry.ID] | None = None
    ) -> list[UnitAlertCounts]:
        principal = info.context.require()
        units = unit_scope(principal, unit_ids)
        async with info.context.pool.acquire() as conn:
            rows = await store.count_by_unit(conn, units)
        by_unit: dict[str, list[tuple[str, int]]] = defaultdict(list)
        stalled: dict[str, datetime | None] = {}
        for r in rows:
            by_unit[str(r["unit_id"])].append((r["level"], r["n"]))
            if r["level"] == DomainLevel.BLUE.value:
                stalled[str(r["unit_id"])] = r["oldest_since"]
        return [
            UnitAlertCounts(
                unit=Unit(id=strawberry.ID(u)),
                counts=level_counts(pairs),
                stalled_since=stalled.get(u),
            )
            for u, pairs in by_unit.items()
        ]

    @strawberry.field(description="按来源统计各颜色事项数.")
    async def alert_counts_by_source(self, info: AppInfo) -> list[SourceAlertCounts]:
        principal = info.context.require()
        async with info.context.pool.acquire() as conn:
            rows = await store.count_by_source(conn, list_scope(principal))
        by_source: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r in rows:
            by_source[r["source"]].append((r["level"], r["n"]))
        return [SourceAlertCounts(source=s, counts=level_counts(p)) for s, p in by_source.items()]

    @strawberry.field(description="最新红色事项: items that turned RED most recently.")
    async def newest_red_items(
        self, info: AppInfo, limit: int = 20, unit_id: strawberry.ID | None = None
    ) -> list[AlertedItem]:
        principal = info.context.require()
        unit = try_uuid(unit_id)
        if unit_id and unit is None:
            return []
        async with info.context.pool.acquire() as conn:
            rows = await store.list_items_by_level(
                conn,
                DomainLevel.RED.value,
                True,
                max(1, min(limit, MAX_LIST)),
                list_scope(principal),
                unit,
            )
        return [AlertedItem.from_row(r) for r in rows]

    @strawberry.field(description="停滞最久事项: BLUE items, longest stalled first.")
    async def longest_stalled_items(
        self, info: AppInfo, limit: int = 20, unit_id: strawberry.ID | None = None
    ) -> list[AlertedItem]:
        principal = info.context.require()
        unit = try_uuid(unit_id)
        if unit_id and unit is None:
            return []
        async with info.context.pool.acquire() as conn:
            rows = await store.list_items_by_level(
                conn,
                DomainLevel.BLUE.value,
                False,
                max(1, min(limit, MAX_LIST)),
                list_scope(principal),
                unit,
            )
        return [AlertedItem.from_row(r) for r in rows]

    @strawberry.field(
        description=(
            "按颜色筛选事项: open items of the given colours the caller reads, optionally of"
            " one unit, some sources and a start year; most recent colour change first."
        )
    )
    async def alerted_items(
        self,
        info: AppInfo,
        levels: list[DomainLevel],
        first: int = 50,
        unit_id: strawberry.ID | None = None,
        sources: list[ItemSource] | None = None,
        year: int | None = None,
    ) -> list[AlertedItem]:
        principal = info.context.require()
        unit = try_uuid(unit_id)
        if (unit_id and unit is None) or not levels:
            return []
        async with info.context.pool.acquire() as conn:
            rows = await store.list_items_filtered(
                conn,
                [lv.value for lv in levels],
                max(1, min(first, MAX_LIST)),
                list_scope(principal),
                unit,
                [s.value for s in sources] if sources else None,
                year,
            )
        return [AlertedItem.from_row(r) for r in rows]
