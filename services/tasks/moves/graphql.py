"""The office's moves in GraphQL (thin: parse, call moves.service, map errors):
itemUpdate, itemTransfer, itemDeadlineReset, instructionRecord, instructionConfirm,
and the leader's own instruction list (myInstructions)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Annotated, Any

import strawberry

from services.core.auth import Role
from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import parse_optional_uuid, parse_uuid, parse_uuids
from services.tasks.items import domain as items_domain
from services.tasks.items.graphql.mutations import PlanNodeInput
from services.tasks.items.graphql.types import SupervisionItem
from services.tasks.lifecycle.graphql.types import DeadlineReset, Instruction
from services.tasks.moves import domain, service

Errors = ValidationError | NotFoundError | ConflictError | InvalidTransitionError


@strawberry.type(description="The item after the move.")
class ItemMoveSuccess:
    item: SupervisionItem


@strawberry.type
class ItemDeadlineResetSuccess:
    item: SupervisionItem
    deadline_reset: DeadlineReset


@strawberry.type
class InstructionSuccess:
    item: SupervisionItem
    instruction: Instruction


ItemUpdateResult = Annotated[ItemMoveSuccess | Errors, strawberry.union("ItemUpdateResult")]
ItemTransferResult = Annotated[ItemMoveSuccess | Errors, strawberry.union("ItemTransferResult")]
ItemDeadlineResetResult = Annotated[
    ItemDeadlineResetSuccess | Errors, strawberry.union("ItemDeadlineResetResult")
]
InstructionRecordResult = Annotated[
    InstructionSuccess | Errors, strawberry.union("InstructionRecordResult")
]
InstructionConfirmResult = Annotated[
    InstructionSuccess | Errors, strawberry.union("InstructionConfirmResult")
]


@strawberry.input(description="修改: only the fields given change (null clears a nullable one).")
class ItemUpdateInput:
    item_id: strawberry.ID
    title: str | None = strawberry.UNSET
    content: str | None = strawberry.UNSET
    source: items_domain.Source | None = strawberry.UNSET
    source_document_no: str | None = strawberry.UNSET
    owner_ids: list[strawberry.ID] | None = strawberry.UNSET
    responsible_leader_id: strawberry.ID | None = strawberry.UNSET
    co_unit_ids: list[strawberry.ID] | None = strawberry.UNSET
    reporting_cycle: items_domain.ReportingCycle | None = strawberry.UNSET
    plan_nodes: list[PlanNodeInput] | None = strawberry.UNSET
    reason: str = strawberry.field(
        default="", description="Required when removing a co-unit that has reported."
    )


@strawberry.input(description="转办: the lead or a co-assignment goes to another unit.")
class ItemTransferInput:
    item_id: strawberry.ID
    from_unit_id: strawberry.ID
    to_unit_id: strawberry.ID
    reason: str


@strawberry.input(description="调整时限 on the instruction of a district leader.")
class ItemDeadlineResetInput:
    item_id: strawberry.ID
    new_deadline: date
    reason: str
    leader_id: strawberry.ID = strawberry.field(description="The instructing leader.")


@strawberry.input(description="A scanned page, base64 (PDF, PNG or JPEG; at most 2 MB).")
class ScanInput:
    name: str
    content_type: str
    base64: str


@strawberry.input(description="代录批示: the office records a leader's instruction.")
class InstructionRecordInput:
    item_id: strawberry.ID
    leader_id: strawberry.ID
    content: str
    instructed_on: date
    scan: ScanInput | None = None


@strawberry.input
class InstructionConfirmInput:
    instruction_id: strawberry.ID


def _given(value: Any) -> bool:
    return value is not strawberry.UNSET


def _edit(input: ItemUpdateInput) -> service.ItemEdit:
    e = service.ItemEdit(parse_uuid(input.item_id, "itemId"), reason=input.reason)
    for name in ("title", "content", "source_document_no"):
        if _given(getattr(input, name)):
            setattr(e, name, getattr(input, name) or "")
    if _given(input.source) and input.source is not None:
        e.source = input.source
    if _given(input.reporting_cycle) and input.reporting_cycle is not None:
        e.reporting_cycle = input.reporting_cycle
    if _given(input.owner_ids):
        e.owner_ids = parse_uuids(input.owner_ids or [], "ownerIds")
    if _given(input.co_unit_ids):
        e.co_unit_ids = parse_uuids(input.co_unit_ids or [], "coUnitIds")
    if _given(input.responsible_leader_id):
        e.responsible_leader_id = parse_optional_uuid(
            input.responsible_leader_id, "responsibleLeaderId"
        )
    if _given(input.plan_nodes):
        e.plan_nodes = [items_domain.PlanNode(n.date, n.percent) for n in input.plan_nodes or []]
    return e


def _moved(changed: service.Changed) -> ItemMoveSuccess:
    return ItemMoveSuccess(item=SupervisionItem.from_row(changed.item))


def _instruction(changed: service.Changed) -> InstructionSuccess:
    assert changed.record is not None
    return InstructionSuccess(
        item=SupervisionItem.from_row(changed.item),
        instruction=Instruction.from_row(changed.record),
    )


@strawberry.type
class MovesMutation:
    @strawberry.mutation(description="修改 (office): edit a running item, field by field.")
    async def item_update(self, info: AppInfo, input: ItemUpdateInput) -> ItemUpdateResult:
        p, pool = info.context.require(), info.context.pool
        return await run_mutation(lambda: service.update_item(pool, p, _edit(input)), _moved)  # type: ignore[no-any-return]

    @strawberry.mutation(description="转办 (office): hand an assignment to another unit.")
    async def item_transfer(self, info: AppInfo, input: ItemTransferInput) -> ItemTransferResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[service.Changed]:
            t = service.Transfer(
                parse_uuid(input.item_id, "itemId"),
                parse_uuid(input.from_unit_id, "fromUnitId"),
                parse_uuid(input.to_unit_id, "toUnitId"),
                input.reason,
            )
            return service.transfer(pool, p, t)

        return await run_mutation(call, _moved)  # type: ignore[no-any-return]

    @strawberry.mutation(description="调整时限 (office): re-set the deadline of an open item.")
    async def item_deadline_reset(
        self, info: AppInfo, input: ItemDeadlineResetInput
    ) -> ItemDeadlineResetResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[service.Changed]:
            r = service.DeadlineReset(
                parse_uuid(input.item_id, "itemId"),
                input.new_deadline,
                input.reason,
                parse_uuid(input.leader_id, "leaderId"),
            )
            return service.reset_deadline(pool, p, r)

        def wrap(changed: service.Changed) -> ItemDeadlineResetSuccess:
            assert changed.record is not None
            return ItemDeadlineResetSuccess(
                item=SupervisionItem.from_row(changed.item),
                deadline_reset=DeadlineReset.from_row(changed.record),
            )

        return await run_mutation(call, wrap)  # type: ignore[no-any-return]

    @strawberry.mutation(description="代录批示 (office): record a leader's instruction.")
    async def instruction_record(
        self, info: AppInfo, input: InstructionRecordInput
    ) -> InstructionRecordResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[service.Changed]:
            scan = input.scan
            r = service.RecordedInstruction(
                parse_uuid(input.item_id, "itemId"),
                parse_uuid(input.leader_id, "leaderId"),
                input.content,
                input.instructed_on,
                domain.decode_scan(scan.name, scan.content_type, scan.base64) if scan else None,
            )
            return service.record_instruction(pool, p, r)

        return await run_mutation(call, _instruction)  # type: ignore[no-any-return]

    @strawberry.mutation(description="A leader confirms an instruction recorded in their name.")
    async def instruction_confirm(
        self, info: AppInfo, input: InstructionConfirmInput
    ) -> InstructionConfirmResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[service.Changed]:
            i = parse_uuid(input.instruction_id, "instructionId")
            return service.confirm_instruction(pool, p, i)

        return await run_mutation(call, _instruction)  # type: ignore[no-any-return]


@strawberry.type
class MovesQuery:
    @strawberry.field(
        description="The calling leader's instructions, newest first (those the office"
        " recorded in their name included; unconfirmedOnly: those awaiting confirmation)."
    )
    async def my_instructions(
        self, info: AppInfo, unconfirmed_only: bool = False, first: int = 50
    ) -> list[Instruction]:
        p = info.context.require(Role.LEADER)
        rows = await service.instructions_of_leader(
            info.context.pool, p.subject, unconfirmed_only, max(1, min(first, 200))
        )
        return [Instruction.from_row(r) for r in rows]
