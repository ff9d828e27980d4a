"""Read side of supervision items: the filtered, cursor-paginated list, one item, statistics."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry

from services.core import clock
from services.core.errors import ValidationFailed
from services.core.graphql import AppInfo
from services.core.graphql.context import selects
from services.core.ids import try_uuid
from services.tasks import loaders
from services.tasks.access import list_scope, sees_item
from services.tasks.items import domain, store
from services.tasks.items.graphql.types import (
    ItemConnection,
    PageInfo,
    StatisticsDimension,
    StatisticsRow,
    SupervisionItem,
)
from services.tasks.lifecycle.domain import STATE_LABELS

MAX_PAGE = 200


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position an ``encode_cursor`` value names; a typed error for anything else."""
    try:
        ts, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at = datetime.fromisoformat(ts)
        if at.tzinfo is None:
            raise ValueError("cursor time without a zone")
        return at, UUID(ident)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationFailed("无效的分页游标 (not a cursor this list gave)", field="after") from e


@strawberry.input(description="Filters of the item list; every given one must match.")
class ItemFilter:
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="lead or co-unit")
    states: list[domain.ItemState] | None = None
    sources: list[domain.Source] | None = None
    responsible_leader_id: strawberry.ID | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    keyword: str | None = strawberry.field(default=None, description="in title or content")
    year: int | None = strawberry.field(default=None, description="year of the start date")


def to_store_filter(
    f: ItemFilter | None, unit_id: strawberry.ID | None = None
) -> store.ItemFilter | None:
    """None when an id cannot match anything (the list is then empty)."""
    out = store.ItemFilter()
    if unit_id is not None:
        out.unit_id = try_uuid(unit_id)
        if out.unit_id is None:
            return None
    if f is None:
        return out
    if f.unit_id is not None:
        out.unit_id = try_uuid(f.unit_id)
        if out.unit_id is None:
            return None
    if f.responsible_leader_id is not None:
        out.responsible_leader_id = try_uuid(f.responsible_leader_id)
        if out.responsible_leader_id is None:
            return None
    out.states = [s.value for s in f.states or []]
    out.sources = [s.value for s in f.sources or []]
    out.deadline_from, out.deadline_to, out.year = f.deadline_from, f.deadline_to, f.year
    keyword = (f.keyword or "").strip()[:100]
    out.keyword = keyword or None
    return out


@strawberry.type
class ItemQuery:
    @strawberry.field(description="督办事项列表, newest first, cursor-paginated.")
    async def items(
        self,
        info: AppInfo,
        first: int = 50,
        after: str | None = None,
        unit_id: strawberry.ID | None = None,
        filter: ItemFilter | None = None,
    ) -> ItemConnection:
        principal = info.context.require()
        limit = max(1, min(first, MAX_PAGE))
        criteria = to_store_filter(filter, unit_id)
        if criteria is None:
            return ItemConnection(
                nodes=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        async with info.context.pool.acquire() as conn:
            rows = await store.list_items_filtered(
                conn,
                limit + 1,
                decode_cursor(after) if after else None,
                criteria,
                list_scope(principal),
            )
        page = rows[:limit]
        return ItemConnection(
            nodes=[SupervisionItem.from_row(r) for r in page],
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                end_cursor=encode_cursor(page[-1]["created_at"], page[-1]["id"]) if page else None,
            ),
        )

    @strawberry.field(description="One supervision item, or null when absent or not visible.")
    async def item(self, info: AppInfo, id: strawberry.ID) -> SupervisionItem | None:
        principal = info.context.require()
        # with leadUnit asked for, the item and its unit come in one round trip
        row = await loaders.item_at_once(info.context, id, with_lead_unit=selects(info, "leadUnit"))
        if row is None or not sees_item(principal, row):
            return None
        return SupervisionItem.from_row(row)

    @strawberry.field(
        description="统计: item counts grouped by year, start month (YYYY-MM), source, unit (lead or co) or state."
    )
    async def item_statistics(
        self,
        info: AppInfo,
        group_by: StatisticsDimension,
        filter: ItemFilter | None = None,
        today: Annotated[
            date | None,
            strawberry.argument(description="Reference day for on-track/overdue (default: today)"),
        ] = None,
    ) -> list[StatisticsRow]:
        principal = info.context.require()
        criteria = to_store_filter(filter)
        if criteria is None:
            return []
        day = today or clock.today()
        async with info.context.pool.acquire() as conn:
            rows = await store.item_statistics(
                conn, group_by.value, day, criteria, list_scope(principal)
            )
        labels: dict[str, str] = {}
        if group_by == StatisticsDimension.UNIT:
            units = await loaders.unit_by_id(info.context).load_many([r["key"] for r in rows])
            labels = {str(u["id"]): u["name"] for u in units if u}
        elif group_by == StatisticsDimension.SOURCE:
            labels = {s.value: label for s, label in domain.SOURCE_LABELS.items()}
        elif group_by == StatisticsDimension.STATE:
            labels = STATE_LABELS
        return [
            StatisticsRow(
                key=r["key"],
                label=labels.get(r["key"], r["key"]),
                total=r["total"],
                completed=r["completed"],
                completed_on_time=r["completed_on_time"],
                open=r["open"],
                on_track=r["on_track"],
                overdue=r["overdue"],
                suspended=r["suspended"],
                cancelled=r["cancelled"],
                completed_or_on_track=r["completed"] + r["on_track"],
            )
            for r in rows
        ]
