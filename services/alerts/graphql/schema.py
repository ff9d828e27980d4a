"""The alerts subgraph schema."""

from __future__ import annotations

import strawberry

from services.alerts import store
from services.alerts.domain.colour import Level as DomainLevel
from services.alerts.graphql.types import LevelCount, SupervisionItem
from services.core.graphql_base import AppInfo, federation_schema


@strawberry.type
class Query:
    @strawberry.field(description="各颜色事项数: open items per colour.")
    async def alert_counts(self, info: AppInfo) -> list[LevelCount]:
        info.context.require()
        async with info.context.pool.acquire() as conn:
            rows = await store.count_by_level(conn)
        return [LevelCount(level=DomainLevel(r["level"]), count=r["n"]) for r in rows]


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(query=Query, types=[SupervisionItem])
