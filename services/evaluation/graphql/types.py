"""Evaluation's contribution to the federated graph."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

from services.core.graphql_base import AppInfo, Context
from services.evaluation import store


@strawberry.type(description="电子政绩档案: a cadre's performance summary.")
class Performance:
    score: float
    entries: int


def score_by_person_id(ctx: Context) -> DataLoader[str, asyncpg.Record | None]:
    async def load(keys: list[str]) -> list[asyncpg.Record | None]:
        async with ctx.pool.acquire() as conn:
            rows = await store.list_scores_by_person_ids(conn, [UUID(k) for k in keys])
        by_id = {str(r["person_id"]): r for r in rows}
        return [by_id.get(k) for k in keys]

    return ctx.loader("ScoreByPersonIdLoader", lambda: DataLoader(load_fn=load))


@strawberry.federation.type(keys=["id"])
class Person:
    id: strawberry.ID

    @strawberry.field(description="政绩档案得分")
    async def performance(self, info: AppInfo) -> Performance:
        row = await score_by_person_id(info.context).load(str(self.id))
        if row is None:
            return Performance(score=0.0, entries=0)
        return Performance(score=row["score"], entries=row["entries"])

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Person:
        return cls(id=id)
