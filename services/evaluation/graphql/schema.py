"""The evaluation subgraph schema."""

from __future__ import annotations

import strawberry

from services.core.graphql_base import AppInfo, federation_schema
from services.evaluation.graphql.types import Performance, Person, score_by_person_id


@strawberry.type
class Query:
    @strawberry.field(description="The caller's own performance file.")
    async def my_performance(self, info: AppInfo) -> Performance:
        principal = info.context.require()
        row = await score_by_person_id(info.context).load(principal.subject)
        return (
            Performance(score=row["score"], entries=row["entries"])
            if row
            else Performance(score=0.0, entries=0)
        )


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(query=Query, types=[Person])
