"""Mutations on supervision items."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from services.core.graphql import (
    AppInfo,
    ConflictError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import parse_optional_uuid, parse_uuid, parse_uuids
from services.tasks.items import domain, service
from services.tasks.items.graphql.types import SupervisionItem


@strawberry.input
class PlanNodeInput:
    date: date
    percent: int


@strawberry.input
class ItemCreateInput:
    title: str
    lead_unit_id: strawberry.ID
    start_date: date
    deadline: date
    source: domain.Source = domain.Source.KEY_WORK
    content: str = ""
    importance: int = 1
    difficulty: float = 1.0
    reporting_cycle: domain.ReportingCycle = domain.ReportingCycle.WEEKLY
    co_unit_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    responsible_leader_id: strawberry.ID | None = None
    owner_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    plan_nodes: list[PlanNodeInput] = strawberry.field(default_factory=list)


@strawberry.type
class ItemCreateSuccess:
    item: SupervisionItem


ItemCreateResult = Annotated[
    ItemCreateSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("ItemCreateResult"),
]


@strawberry.type
class ItemMutation:
    @strawberry.mutation(description="立项交办: create and assign a supervision item.")
    async def item_create(self, info: AppInfo, input: ItemCreateInput) -> ItemCreateResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            new = service.NewItem(
                title=input.title,
                content=input.content,
                source=input.source,
                importance=input.importance,
                difficulty=input.difficulty,
                start_date=input.start_date,
                deadline=input.deadline,
                reporting_cycle=input.reporting_cycle,
                lead_unit_id=parse_uuid(input.lead_unit_id, "leadUnitId"),
                co_unit_ids=parse_uuids(input.co_unit_ids, "coUnitIds"),
                responsible_leader_id=parse_optional_uuid(
                    input.responsible_leader_id, "responsibleLeaderId"
                ),
                owner_ids=parse_uuids(input.owner_ids, "ownerIds"),
                plan_nodes=[domain.PlanNode(n.date, n.percent) for n in input.plan_nodes],
            )
            return await service.create_item(pool, principal, new)

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda row: ItemCreateSuccess(item=SupervisionItem.from_row(row))
        )
