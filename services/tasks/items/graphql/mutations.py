"""Mutations on supervision items."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from services.core.graphql import (
    AppInfo,
    ConflictError,
    NotFoundError,
    UserError,
    ValidationError,
    error_code,
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
    source_document_no: str | None = strawberry.field(
        default=None, description="文号 of the document the item is handed down under"
    )
    confirm_duplicate: bool = strawberry.field(
        default=False,
        description="Create it although it looks like an open item (after a DuplicateWarning).",
    )


@strawberry.type
class ItemCreateSuccess:
    item: SupervisionItem


@strawberry.type(description="An open item the new one may duplicate (重复督查).")
class DuplicateCandidate:
    item_id: strawberry.ID
    code: str
    title: str
    reason: str = strawberry.field(description="SAME_DOCUMENT or SIMILAR_TITLE")
    similarity: float = strawberry.field(description="Title similarity, 0..1")


@strawberry.type(
    description="The new item looks like an open one: nothing was created; confirm with"
    " confirmDuplicate: true, or drop it."
)
class DuplicateWarning(UserError):
    duplicates: list[DuplicateCandidate]

    @classmethod
    def of(cls, e: domain.DuplicateSuspected) -> DuplicateWarning:
        return cls(
            code=error_code(e),
            message=e.message,
            field=e.field,
            duplicates=[
                DuplicateCandidate(
                    item_id=strawberry.ID(c.id),
                    code=c.code,
                    title=c.title,
                    reason=c.reason,
                    similarity=c.similarity,
                )
                for c in e.candidates
            ],
        )


ItemCreateResult = Annotated[
    ItemCreateSuccess | DuplicateWarning | ValidationError | NotFoundError | ConflictError,
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
                source_document_no=input.source_document_no,
                confirm_duplicate=input.confirm_duplicate,
            )
            try:
                return await service.create_item(pool, principal, new)
            except domain.DuplicateSuspected as e:
                return e

        def wrap(result: Any) -> Any:
            if isinstance(result, domain.DuplicateSuspected):
                return DuplicateWarning.of(result)
            return ItemCreateSuccess(item=SupervisionItem.from_row(result))

        return await run_mutation(call, wrap)  # type: ignore[no-any-return]
