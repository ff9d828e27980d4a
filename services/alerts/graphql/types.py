"""Alerts' contribution to the federated graph."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

from services.alerts import store
from services.alerts.domain.colour import Level as DomainLevel
from services.core.graphql_base import AppInfo, Context

strawberry.enum(DomainLevel, name="AlertLevel", description="四色预警")


@strawberry.type(description="An item's current colour and why.")
class Alert:
    level: DomainLevel | None
    reason: str
    since: datetime | None


def alert_by_item_id(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_alerts_by_item_ids(conn, [UUID(k) for k in keys])
        by_id = {str(r["id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("AlertByItemIdLoader", lambda: DataLoader(load_fn=load))


@strawberry.federation.type(keys=["id"], extend=False)
class SupervisionItem:
    id: strawberry.ID

    @strawberry.field(description="四色预警: the item's current colour (null until evaluated).")
    async def alert(self, info: AppInfo) -> Alert | None:
        row = await alert_by_item_id(info.context).load(str(self.id))
        if row is None:
            return None
        return Alert(
            level=DomainLevel(row["level"]) if row["level"] else None,
            reason=row["reason"],
            since=row["level_since"],
        )

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> SupervisionItem:
        return cls(id=id)


@strawberry.type
class LevelCount:
    level: DomainLevel
    count: int
