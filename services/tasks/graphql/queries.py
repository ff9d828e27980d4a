"""Read side of the tasks subgraph."""

from __future__ import annotations

import base64
from datetime import datetime
from uuid import UUID

import strawberry

from services.core.auth import Principal
from services.core.graphql_base import AppInfo
from services.tasks import store
from services.tasks.graphql import loaders
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


def item_scope(principal: Principal) -> tuple[list[UUID] | None, UUID | None]:
    """(unit ids, person id) a caller is limited to; (None, None) means everything."""
    if principal.sees_everything:
        return None, None
    units = [UUID(u) for u in principal.unit_ids]
    try:
        person = UUID(principal.subject)
    except ValueError:
        person = None
    return units, person


def visible(principal: Principal, item: SupervisionItem) -> bool:
    if principal.sees_everything:
        return True
    units = {item.lead_unit_id, *item.co_unit_ids}
    return bool(units & principal.unit_ids) or principal.subject in {
        *item.owner_ids,
        item.responsible_leader_id,
    }


@strawberry.type
class Query:
    @strawberry.field(description="督办事项列表, newest first, cursor-paginated.")
    async def items(
        self,
        info: AppInfo,
        first: int = 50,
        after: str | None = None,
        unit_id: strawberry.ID | None = None,
    ) -> ItemConnection:
        principal = info.context.require()
        limit = max(1, min(first, MAX_PAGE))
        scope_units, scope_person = item_scope(principal)
        async with info.context.pool.acquire() as conn:
            rows = await store.list_items_page(
                conn,
                limit + 1,
                decode_cursor(after) if after else None,
                UUID(unit_id) if unit_id else None,
                scope_units,
                scope_person,
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
