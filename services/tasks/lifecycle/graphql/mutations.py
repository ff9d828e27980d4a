"""Mutations of the item lifecycle (thin: parse, call lifecycle.service, map errors)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Annotated

import strawberry

from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import parse_optional_uuid, parse_uuid
from services.tasks.items.graphql.types import SupervisionItem
from services.tasks.lifecycle import service as svc
from services.tasks.lifecycle.graphql.types import (
    Extension,
    ProgressReport,
    Verification,
    VerificationResult,
)

Errors = ValidationError | NotFoundError | ConflictError | InvalidTransitionError


@strawberry.type(description="The item after the change.")
class ItemChangeSuccess:
    item: SupervisionItem


@strawberry.type
class ItemReportProgressSuccess:
    item: SupervisionItem
    report: ProgressReport


@strawberry.type
class CompletionDecisionSuccess:
    item: SupervisionItem
    verification: Verification


@strawberry.type
class ExtensionSuccess:
    item: SupervisionItem
    extension: Extension


AssignmentSignResult = Annotated[
    ItemChangeSuccess | Errors, strawberry.union("AssignmentSignResult")
]
AssignmentReturnResult = Annotated[
    ItemChangeSuccess | Errors, strawberry.union("AssignmentReturnResult")
]
AssignmentReassignResult = Annotated[
    ItemChangeSuccess | Errors, strawberry.union("AssignmentReassignResult")
]
ItemReportProgressResult = Annotated[
    ItemReportProgressSuccess | Errors, strawberry.union("ItemReportProgressResult")
]
CompletionRequestResult = Annotated[
    ItemChangeSuccess | Errors, strawberry.union("CompletionRequestResult")
]
CompletionVerifyResult = Annotated[
    CompletionDecisionSuccess | Errors, strawberry.union("CompletionVerifyResult")
]
CompletionSendBackResult = Annotated[
    CompletionDecisionSuccess | Errors, strawberry.union("CompletionSendBackResult")
]
ReportVerifyResult = Annotated[
    ItemReportProgressSuccess | Errors, strawberry.union("ReportVerifyResult")
]
ExtensionRequestResult = Annotated[
    ExtensionSuccess | Errors, strawberry.union("ExtensionRequestResult")
]
ExtensionDecideResult = Annotated[
    ExtensionSuccess | Errors, strawberry.union("ExtensionDecideResult")
]
ItemSuspendResult = Annotated[ItemChangeSuccess | Errors, strawberry.union("ItemSuspendResult")]
ItemResumeResult = Annotated[ItemChangeSuccess | Errors, strawberry.union("ItemResumeResult")]
ItemCancelResult = Annotated[ItemChangeSuccess | Errors, strawberry.union("ItemCancelResult")]
InstructionAddResult = Annotated[
    ItemChangeSuccess | Errors, strawberry.union("InstructionAddResult")
]
ItemChaseResult = Annotated[ItemChangeSuccess | Errors, strawberry.union("ItemChaseResult")]


@strawberry.input
class AssignmentInput:
    item_id: strawberry.ID
    unit_id: strawberry.ID = strawberry.field(description="The unit acting (its assignment).")
    reason: str = strawberry.field(default="", description="退回: required; 重新交办: note")


@strawberry.input
class ItemReportProgressInput:
    item_id: strawberry.ID
    unit_id: strawberry.ID
    percent: int
    narrative: str
    problems: str = ""
    next_steps: str = ""
    decrease_reason: str | None = strawberry.field(
        default=None, description="Required when the percent is lower than the last report."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A resubmission with the same key is refused and changes nothing."
    )


@strawberry.input
class CompletionRequestInput:
    item_id: strawberry.ID
    unit_id: strawberry.ID
    summary: str


@strawberry.input(description="现场查看确认")
class InspectionInput:
    inspected_on: date
    place: str
    participants: str
    findings: str


@strawberry.input
class CompletionDecisionInput:
    item_id: strawberry.ID
    unit_id: strawberry.ID
    note: str = strawberry.field(default="", description="Required when sending back.")
    inspection: InspectionInput | None = None


@strawberry.input
class ReportVerifyInput:
    report_id: strawberry.ID
    result: VerificationResult
    note: str = ""


@strawberry.input
class ExtensionRequestInput:
    item_id: strawberry.ID
    unit_id: strawberry.ID
    new_deadline: date
    reason: str


@strawberry.input
class ExtensionDecideInput:
    extension_id: strawberry.ID
    approved: bool
    note: str = strawberry.field(default="", description="Required when rejecting.")


@strawberry.input
class ItemReasonInput:
    item_id: strawberry.ID
    reason: str = ""


@strawberry.input
class InstructionAddInput:
    item_id: strawberry.ID
    content: str


@strawberry.input
class ItemChaseInput:
    item_id: strawberry.ID
    unit_id: strawberry.ID | None = None
    note: str = ""


def _item(changed: svc.Changed) -> ItemChangeSuccess:
    return ItemChangeSuccess(item=SupervisionItem.from_row(changed.item))


def _decision(changed: svc.Changed) -> CompletionDecisionSuccess:
    assert changed.record is not None
    return CompletionDecisionSuccess(
        item=SupervisionItem.from_row(changed.item),
        verification=Verification.from_row(changed.record),
    )


def _extension(changed: svc.Changed) -> ExtensionSuccess:
    assert changed.record is not None
    return ExtensionSuccess(
        item=SupervisionItem.from_row(changed.item), extension=Extension.from_row(changed.record)
    )


def _report(changed: svc.Changed) -> ItemReportProgressSuccess:
    assert changed.record is not None
    return ItemReportProgressSuccess(
        item=SupervisionItem.from_row(changed.item), report=ProgressReport.from_row(changed.record)
    )


def _unit_step(input: AssignmentInput) -> svc.UnitStep:
    return svc.UnitStep(
        parse_uuid(input.item_id, "itemId"), parse_uuid(input.unit_id, "unitId"), input.reason
    )


def _decision_input(input: CompletionDecisionInput) -> svc.CompletionDecision:
    i = input.inspection
    return svc.CompletionDecision(
        item_id=parse_uuid(input.item_id, "itemId"),
        unit_id=parse_uuid(input.unit_id, "unitId"),
        note=input.note,
        inspection=(
            svc.Inspection(i.inspected_on, i.place, i.participants, i.findings) if i else None
        ),
    )


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(description="签收: the unit signs for its assignment.")
    async def assignment_sign(self, info: AppInfo, input: AssignmentInput) -> AssignmentSignResult:
        p, pool = info.context.require(), info.context.pool
        return await run_mutation(lambda: svc.sign(pool, p, _unit_step(input)), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="退回: the unit returns its assignment with a reason.")
    async def assignment_return(
        self, info: AppInfo, input: AssignmentInput
    ) -> AssignmentReturnResult:
        p, pool = info.context.require(), info.context.pool
        return await run_mutation(lambda: svc.return_assignment(pool, p, _unit_step(input)), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="重新交办 (office): a returned assignment goes back.")
    async def assignment_reassign(
        self, info: AppInfo, input: AssignmentInput
    ) -> AssignmentReassignResult:
        p, pool = info.context.require(), info.context.pool
        return await run_mutation(lambda: svc.reassign(pool, p, _unit_step(input)), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="进度汇报 of a unit.")
    async def item_report_progress(
        self, info: AppInfo, input: ItemReportProgressInput
    ) -> ItemReportProgressResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[svc.Changed]:
            return svc.report_progress(
                pool,
                p,
                svc.ProgressReport(
                    item_id=parse_uuid(input.item_id, "itemId"),
                    unit_id=parse_uuid(input.unit_id, "unitId"),
                    percent=input.percent,
                    narrative=input.narrative,
                    problems=input.problems,
                    next_steps=input.next_steps,
                    decrease_reason=input.decrease_reason,
                    idempotency_key=input.idempotency_key,
                ),
            )

        return await run_mutation(call, _report)  # type: ignore[no-any-return]

    @strawberry.mutation(description="申请办结 of a unit.")
    async def completion_request(
        self, info: AppInfo, input: CompletionRequestInput
    ) -> CompletionRequestResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[svc.Changed]:
            req = svc.CompletionRequest(
                parse_uuid(input.item_id, "itemId"),
                parse_uuid(input.unit_id, "unitId"),
                input.summary,
            )
            return svc.request_completion(pool, p, req)

        return await run_mutation(call, _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="核实 (office): a unit's completion request is confirmed.")
    async def completion_verify(
        self, info: AppInfo, input: CompletionDecisionInput
    ) -> CompletionVerifyResult:
        p, pool = info.context.require(), info.context.pool
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: svc.verify_completion(pool, p, _decision_input(input)), _decision
        )

    @strawberry.mutation(description="退回重办 (office): a completion request is sent back.")
    async def completion_send_back(
        self, info: AppInfo, input: CompletionDecisionInput
    ) -> CompletionSendBackResult:
        p, pool = info.context.require(), info.context.pool
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: svc.send_back(pool, p, _decision_input(input)), _decision
        )

    @strawberry.mutation(description="核实 a progress report (office).")
    async def report_verify(self, info: AppInfo, input: ReportVerifyInput) -> ReportVerifyResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[svc.Changed]:
            v = svc.ReportVerification(
                parse_uuid(input.report_id, "reportId"), input.result.value, input.note
            )
            return svc.verify_report(pool, p, v)

        return await run_mutation(call, _report)  # type: ignore[no-any-return]

    @strawberry.mutation(description="延期申请 (a unit of the item, before the deadline).")
    async def extension_request(
        self, info: AppInfo, input: ExtensionRequestInput
    ) -> ExtensionRequestResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[svc.Changed]:
            req = svc.ExtensionRequest(
                parse_uuid(input.item_id, "itemId"),
                parse_uuid(input.unit_id, "unitId"),
                input.new_deadline,
                input.reason,
            )
            return svc.request_extension(pool, p, req)

        return await run_mutation(call, _extension)  # type: ignore[no-any-return]

    @strawberry.mutation(description="延期审批 (office).")
    async def extension_decide(
        self, info: AppInfo, input: ExtensionDecideInput
    ) -> ExtensionDecideResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[svc.Changed]:
            d = svc.ExtensionDecision(
                parse_uuid(input.extension_id, "extensionId"), input.approved, input.note
            )
            return svc.decide_extension(pool, p, d)

        return await run_mutation(call, _extension)  # type: ignore[no-any-return]

    @strawberry.mutation(description="暂停 (office, with a reason).")
    async def item_suspend(self, info: AppInfo, input: ItemReasonInput) -> ItemSuspendResult:
        p, pool = info.context.require(), info.context.pool
        step = lambda: svc.ItemStep(parse_uuid(input.item_id, "itemId"), input.reason)  # noqa: E731
        return await run_mutation(lambda: svc.suspend(pool, p, step()), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="恢复 (office).")
    async def item_resume(self, info: AppInfo, input: ItemReasonInput) -> ItemResumeResult:
        p, pool = info.context.require(), info.context.pool
        step = lambda: svc.ItemStep(parse_uuid(input.item_id, "itemId"), input.reason)  # noqa: E731
        return await run_mutation(lambda: svc.resume(pool, p, step()), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="撤销 (office, with a reason).")
    async def item_cancel(self, info: AppInfo, input: ItemReasonInput) -> ItemCancelResult:
        p, pool = info.context.require(), info.context.pool
        step = lambda: svc.ItemStep(parse_uuid(input.item_id, "itemId"), input.reason)  # noqa: E731
        return await run_mutation(lambda: svc.cancel(pool, p, step()), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="领导批示 (LEADER).")
    async def instruction_add(
        self, info: AppInfo, input: InstructionAddInput
    ) -> InstructionAddResult:
        p, pool = info.context.require(), info.context.pool
        step = lambda: svc.ItemStep(parse_uuid(input.item_id, "itemId"), input.content)  # noqa: E731
        return await run_mutation(lambda: svc.add_instruction(pool, p, step()), _item)  # type: ignore[no-any-return]

    @strawberry.mutation(description="催办 (office or leader): one click, recorded.")
    async def item_chase(self, info: AppInfo, input: ItemChaseInput) -> ItemChaseResult:
        p, pool = info.context.require(), info.context.pool

        def call() -> Awaitable[svc.Changed]:
            step = svc.ItemStep(
                parse_uuid(input.item_id, "itemId"),
                input.note,
                parse_optional_uuid(input.unit_id, "unitId"),
            )
            return svc.chase(pool, p, step)

        return await run_mutation(call, _item)  # type: ignore[no-any-return]
