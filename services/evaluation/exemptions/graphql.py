"""GraphQL of exemptions (容错): the case types, requests, and request, decide, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from services.core import clock
from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import try_uuid, valid_uuids
from services.evaluation.exemptions import service, store
from services.evaluation.exemptions.domain import CASE_TYPES
from services.evaluation.ids import require_id


@strawberry.type(description="容错申请")
class Exemption:
    id: strawberry.ID
    item_id: strawberry.ID
    case_type: str
    case_label: str
    reason: str
    evidence: list[str]
    requested_by: str
    requested_unit_id: strawberry.ID | None
    requested_at: datetime
    state: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, r: Any) -> Exemption:
        return cls(
            id=strawberry.ID(str(r["id"])),
            item_id=strawberry.ID(str(r["item_id"])),
            case_type=r["case_type"],
            case_label=CASE_TYPES.get(r["case_type"], r["case_type"]),
            reason=r["reason"],
            evidence=list(r["evidence"]),
            requested_by=r["requested_by"],
            requested_unit_id=strawberry.ID(str(r["requested_unit_id"]))
            if r["requested_unit_id"]
            else None,
            requested_at=r["requested_at"],
            state=r["state"],
            decided_by=r["decided_by"],
            decided_at=r["decided_at"],
            decision_note=r["decision_note"],
            revoked_at=r["revoked_at"],
        )


@strawberry.type(description="容错情形")
class ExemptionCaseType:
    code: str
    label: str


@strawberry.input
class ExemptionRequestInput:
    item_id: strawberry.ID
    case_type: str = strawberry.field(description="8类容错情形之一, 见 exemptionCaseTypes")
    reason: str
    evidence: list[str] = strawberry.field(description="证明材料(说明或附件地址)")
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="以单位名义申请时")


@strawberry.input
class ExemptionDecideInput:
    id: strawberry.ID
    approve: bool
    note: str = ""


@strawberry.input
class ExemptionRevokeInput:
    id: strawberry.ID
    note: str = ""


@strawberry.type
class ExemptionSuccess:
    exemption: Exemption


ExemptionRequestResult = Annotated[
    ExemptionSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("ExemptionRequestResult"),
]
ExemptionDecisionResult = Annotated[
    ExemptionSuccess | ValidationError | NotFoundError | InvalidTransitionError,
    strawberry.union("ExemptionDecisionResult"),
]


@strawberry.field(description="容错情形(8类)")
def exemption_case_types() -> list[ExemptionCaseType]:
    return [ExemptionCaseType(code=k, label=v) for k, v in CASE_TYPES.items()]


@strawberry.field(description="容错申请: 督查办和领导看全部，其他人看自己或本单位提出的")
async def exemptions(info: AppInfo, state: str | None = None) -> list[Exemption]:
    principal = info.context.require()
    async with info.context.pool.acquire() as conn:
        if principal.sees_everything:
            rows = await store.list_exemptions(conn, state)
        else:
            rows = await store.list_exemptions(
                conn,
                state,
                requester_units=valid_uuids(principal.unit_ids),
                requested_by=principal.subject,
            )
    return [Exemption.from_row(r) for r in rows]


def _success(row: Any) -> ExemptionSuccess:
    return ExemptionSuccess(exemption=Exemption.from_row(row))


@strawberry.mutation(description="申请容错免责(事项相关单位或干部)")
async def exemption_request(info: AppInfo, input: ExemptionRequestInput) -> ExemptionRequestResult:
    principal = info.context.require()
    return await run_mutation(
        lambda: service.request_exemption(
            info.context.pool,
            principal,
            require_id(input.item_id, "itemId"),
            input.case_type,
            input.reason,
            input.evidence,
            try_uuid(input.unit_id),
            clock.now(),
        ),
        _success,
    )


@strawberry.mutation(description="决定容错申请(仅督查办); 批准即免除该事项所有扣分")
async def exemption_decide(info: AppInfo, input: ExemptionDecideInput) -> ExemptionDecisionResult:
    principal = info.context.require()
    return await run_mutation(
        lambda: service.decide_exemption(
            info.context.pool,
            principal,
            require_id(input.id, "id"),
            input.approve,
            input.note,
            clock.now(),
        ),
        _success,
    )


@strawberry.mutation(description="撤销已批准的容错(仅督查办); 扣分恢复")
async def exemption_revoke(info: AppInfo, input: ExemptionRevokeInput) -> ExemptionDecisionResult:
    principal = info.context.require()
    return await run_mutation(
        lambda: service.revoke_exemption(
            info.context.pool, principal, require_id(input.id, "id"), input.note, clock.now()
        ),
        _success,
    )
