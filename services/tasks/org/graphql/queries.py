"""Read side of the organisation: units, people, and the caller as a person."""

from __future__ import annotations

import strawberry

from services.core.graphql import AppInfo
from services.core.ids import parse_optional_uuid
from services.tasks import loaders
from services.tasks.org import store
from services.tasks.org.graphql.types import Person, Unit


@strawberry.type
class OrgQuery:
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
                conn, parse_optional_uuid(unit_id, "unitId"), max(1, min(first, 1000))
            )
        return [Person.from_row(r) for r in rows]

    @strawberry.field(description="The caller, as a person of the tasks service.")
    async def me(self, info: AppInfo) -> Person | None:
        principal = info.context.require()
        row = await loaders.person_by_id(info.context).load(principal.subject)
        return Person.from_row(row) if row else None
