"""Mutations on supervision items."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from services.core.errors import DomainError, ValidationFailed
from services.core.graphql import (
    AppInfo,
    ConflictError,
    NotFoundError,
    ValidationError,
    user_error,
)
from services.tasks import service
from services.tasks.domain import items as domain
from services.tasks.graphql.types import SupervisionItem


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


def parse_id(value: str | None, field: str) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(str(value))
    except ValueError as e:
        raise ValidationFailed(f"无效的标识: {value}", field=field) from e


def parse_ids(values: list[strawberry.ID], field: str) -> list[UUID]:
    return [u for v in values if (u := parse_id(v, field)) is not None]


@strawberry.type
class ItemMutation:
    @strawberry.mutation(description="立项交办: create and assign a supervision item.")
    async def item_create(self, info: AppInfo, input: ItemCreateInput) -> ItemCreateResult:
        principal = info.context.require()
        try:
            new = service.NewItem(
                title=input.title,
                content=input.content,
                source=input.source,
                importance=input.importance,
                difficulty=input.difficulty,
                start_date=input.start_date,
                deadline=input.deadline,
                reporting_cycle=input.reporting_cycle,
                lead_unit_id=parse_id(input.lead_unit_id, "leadUnitId"),  # type: ignore[arg-type]
                co_unit_ids=parse_ids(input.co_unit_ids, "coUnitIds"),
                responsible_leader_id=parse_id(input.responsible_leader_id, "responsibleLeaderId"),
                owner_ids=parse_ids(input.owner_ids, "ownerIds"),
                plan_nodes=[domain.PlanNode(n.date, n.percent) for n in input.plan_nodes],
            )
            row = await service.create_item(info.context.pool, principal, new)
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return ItemCreateSuccess(item=SupervisionItem.from_row(row))
