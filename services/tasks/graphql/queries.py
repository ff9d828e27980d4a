"""Read side of the tasks subgraph."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import strawberry

from services.core.auth import Principal
from services.core.graphql import AppInfo
from services.tasks import store, store_queries
from services.tasks.domain import items as domain
from services.tasks.domain.access import ItemScope, can_read
from services.tasks.graphql import loaders
from services.tasks.graphql.lifecycle_types import StatisticsDimension, StatisticsRow
from services.tasks.graphql.types import ItemConnection, PageInfo, Person, SupervisionItem, Unit

MAX_PAGE = 200


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID] | None:
    try:
        ts, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(ts), UUID(ident)
    except ValueError:
        return None


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def list_scope(principal: Principal) -> store_queries.Scope | None:
    """What a list may contain (None: everything), by the rules of domain.access:
    unit roles and integration accounts see their units' items, cadres their own."""
    if principal.sees_everything:
        return None
    roles = {str(r) for r in principal.roles}
    units: list[UUID] = []
    if roles & {"UNIT_HEAD", "UNIT_SUPERVISOR", "INTEGRATION"}:
        units = [u for x in principal.unit_ids if (u := _uuid(x)) is not None]
    person = _uuid(principal.subject) if "CADRE" in roles else None
    return store_queries.Scope(units, person)


def item_scope(principal: Principal) -> tuple[list[UUID] | None, UUID | None]:
    """(unit ids, person id) a caller is limited to; (None, None) means everything."""
    scope = list_scope(principal)
    return (None, None) if scope is None else (scope.unit_ids, scope.person_id)


def visible(principal: Principal, item: SupervisionItem) -> bool:
    scope = ItemScope.of(
        item.lead_unit_id, item.co_unit_ids, item.owner_ids, item.responsible_leader_id
    )
    return can_read(principal, scope)


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
) -> store_queries.ItemFilter | None:
    """None when an id cannot match anything (the list is then empty)."""
    out = store_queries.ItemFilter()
    if unit_id is not None:
        out.unit_id = _uuid(unit_id)
        if out.unit_id is None:
            return None
    if f is None:
        return out
    if f.unit_id is not None:
        out.unit_id = _uuid(f.unit_id)
        if out.unit_id is None:
            return None
    if f.responsible_leader_id is not None:
        out.responsible_leader_id = _uuid(f.responsible_leader_id)
        if out.responsible_leader_id is None:
            return None
    out.states = [s.value for s in f.states or []]
    out.sources = [s.value for s in f.sources or []]
    out.deadline_from, out.deadline_to, out.year = f.deadline_from, f.deadline_to, f.year
    keyword = (f.keyword or "").strip()[:100]
    out.keyword = keyword or None
    return out


@strawberry.type
class Query:
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
            rows = await store_queries.list_items_filtered(
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
        row = await loaders.item_by_id(info.context).load(id)
        if row is None:
            return None
        item = SupervisionItem.from_row(row)
        return item if visible(principal, item) else None

    @strawberry.field(
        description="统计: item counts grouped by year, source, unit (lead or co) or state."
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
        day = today or datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
        async with info.context.pool.acquire() as conn:
            rows = await store_queries.item_statistics(
                conn, group_by.value, day, criteria, list_scope(principal)
            )
        labels: dict[str, str] = {}
        if group_by == StatisticsDimension.UNIT:
            units = await loaders.unit_by_id(info.context).load_many([r["key"] for r in rows])
            labels = {str(u["id"]): u["name"] for u in units if u}
        elif group_by == StatisticsDimension.SOURCE:
            labels = {s.value: label for s, label in domain.SOURCE_LABELS.items()}
        elif group_by == StatisticsDimension.STATE:
            from services.tasks.domain.lifecycle import STATE_LABELS

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

    @strawberry.field(description="All units (单位).")
    async def units(self, info: AppInfo) -> list[Unit]:
        info.context.require()
        async with info.context.pool.acquire() as conn:
            return [Unit.from_row(r) for r in await store.list_units(conn)]

    @strawberry.field(description="People, optionally of one unit.")
    async def people(
        self, info: AppInfo, unit_id: strawberry.ID | None = None, first: int = 100
    ) -> list[Person]:
        info.context.require()
        async with info.context.pool.acquire() as conn:
            rows = await store.list_people(
                conn, UUID(unit_id) if unit_id else None, max(1, min(first, 1000))
            )
        return [Person.from_row(r) for r in rows]

    @strawberry.field(description="The caller, as a person of the tasks service.")
    async def me(self, info: AppInfo) -> Person | None:
        principal = info.context.require()
        row = await loaders.person_by_id(info.context).load(principal.subject)
        return Person.from_row(row) if row else None
