"""Mutations on exemptions (容错): request, decide, revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import strawberry

from services.core.errors import DomainError, NotFound
from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    user_error,
)
from services.evaluation import service_exemptions
from services.evaluation.graphql.types import Exemption, parse_uuid


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


def _id(value: strawberry.ID, field: str) -> UUID:
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound("编号无效或不存在", field=field)
    return parsed


@strawberry.type
class ExemptionMutation:
    @strawberry.mutation(description="申请容错免责(事项相关单位或干部)")
    async def exemption_request(
        self, info: AppInfo, input: ExemptionRequestInput
    ) -> ExemptionRequestResult:
        principal = info.context.require()
        try:
            row = await service_exemptions.request_exemption(
                info.context.pool,
                principal,
                _id(input.item_id, "itemId"),
                input.case_type,
                input.reason,
                input.evidence,
                parse_uuid(input.unit_id) if input.unit_id else None,
                datetime.now(UTC),
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return ExemptionSuccess(exemption=Exemption.from_row(row))

    @strawberry.mutation(description="决定容错申请(仅督查办); 批准即免除该事项所有扣分")
    async def exemption_decide(
        self, info: AppInfo, input: ExemptionDecideInput
    ) -> ExemptionDecisionResult:
        principal = info.context.require()
        try:
            row = await service_exemptions.decide_exemption(
                info.context.pool,
                principal,
                _id(input.id, "id"),
                input.approve,
                input.note,
                datetime.now(UTC),
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return ExemptionSuccess(exemption=Exemption.from_row(row))

    @strawberry.mutation(description="撤销已批准的容错(仅督查办); 扣分恢复")
    async def exemption_revoke(
        self, info: AppInfo, input: ExemptionRevokeInput
    ) -> ExemptionDecisionResult:
        principal = info.context.require()
        try:
            row = await service_exemptions.revoke_exemption(
                info.context.pool,
                principal,
                _id(input.id, "id"),
                input.note,
                datetime.now(UTC),
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return ExemptionSuccess(exemption=Exemption.from_row(row))
