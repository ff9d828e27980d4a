"""Mutations of the office: rule and weight settings, periods, office inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from services.core.auth import Role
from services.core.errors import DomainError, NotFound
from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    user_error,
)
from services.evaluation import service
from services.evaluation.graphql.types import (
    EvaluationPeriod,
    EvaluationRuleSet,
    PerformanceFlag,
    PeriodKind,
    RuleKind,
    parse_uuid,
)


def _id(value: strawberry.ID | None, field: str) -> UUID:
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound("编号无效或不存在", field=field)
    return parsed


@strawberry.input
class RuleSetUpdateInput:
    kind: RuleKind
    body: JSON


@strawberry.type
class RuleSetUpdateSuccess:
    rule_set: EvaluationRuleSet


RuleSetUpdateResult = Annotated[
    RuleSetUpdateSuccess | ValidationError, strawberry.union("RuleSetUpdateResult")
]


@strawberry.input
class PeriodCreateInput:
    kind: PeriodKind
    name: str
    starts_on: date
    ends_on: date


@strawberry.type
class PeriodCreateSuccess:
    period: EvaluationPeriod


PeriodCreateResult = Annotated[
    PeriodCreateSuccess | ValidationError | ConflictError, strawberry.union("PeriodCreateResult")
]


@strawberry.input
class PeriodCloseInput:
    id: strawberry.ID


@strawberry.type
class PeriodCloseSuccess:
    period: EvaluationPeriod


PeriodCloseResult = Annotated[
    PeriodCloseSuccess | NotFoundError | InvalidTransitionError,
    strawberry.union("PeriodCloseResult"),
]


@strawberry.input
class FlagsEvaluateInput:
    period_id: strawberry.ID


@strawberry.type
class FlagsEvaluateSuccess:
    flags: list[PerformanceFlag]


FlagsEvaluateResult = Annotated[
    FlagsEvaluateSuccess | NotFoundError, strawberry.union("FlagsEvaluateResult")
]


@strawberry.input
class CommendationRecordInput:
    person_id: strawberry.ID
    kind: str = strawberry.field(description="COMMENDATION 表扬 | CRITICISM 批评")
    points: float
    reason: str
    item_id: strawberry.ID | None = None


@strawberry.type
class CommendationRecordSuccess:
    person_id: strawberry.ID
    points: float


CommendationRecordResult = Annotated[
    CommendationRecordSuccess | ValidationError | NotFoundError,
    strawberry.union("CommendationRecordResult"),
]


@strawberry.input
class SelectionComponentSetInput:
    period_id: strawberry.ID
    person_id: strawberry.ID
    component: str
    value: float


@strawberry.input
class UnitSurveySetInput:
    period_id: strawberry.ID
    unit_id: strawberry.ID
    score: float


@strawberry.input
class UnitVetoRecordInput:
    period_id: strawberry.ID
    unit_id: strawberry.ID
    reason: str


@strawberry.type
class EvaluationInputSuccess:
    period_id: strawberry.ID


EvaluationInputResult = Annotated[
    EvaluationInputSuccess | ValidationError | NotFoundError | InvalidTransitionError,
    strawberry.union("EvaluationInputResult"),
]


@strawberry.type
class SettingsMutation:
    @strawberry.mutation(description="发布新版本的计分规则/权重/能上能下规则")
    async def rule_set_update(
        self, info: AppInfo, input: RuleSetUpdateInput
    ) -> RuleSetUpdateResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE)
        try:
            rs = await service.update_rule_set(
                info.context.pool, principal, input.kind.value, input.body, datetime.now(UTC)
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return RuleSetUpdateSuccess(rule_set=EvaluationRuleSet.of(rs))

    @strawberry.mutation(description="新建考核期(同类考核期不得重叠)")
    async def period_create(self, info: AppInfo, input: PeriodCreateInput) -> PeriodCreateResult:
        info.context.require(Role.SUPERVISION_OFFICE)
        try:
            row = await service.create_period(
                info.context.pool, input.kind.value, input.name, input.starts_on, input.ends_on
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return PeriodCreateSuccess(period=EvaluationPeriod.from_row(row))

    @strawberry.mutation(description="关闭考核期: 冻结排名快照并评估能上能下规则")
    async def period_close(self, info: AppInfo, input: PeriodCloseInput) -> PeriodCloseResult:
        info.context.require(Role.SUPERVISION_OFFICE)
        try:
            row = await service.close_period(
                info.context.pool,
                _id(input.id, "id"),
                datetime.now(UTC),
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return PeriodCloseSuccess(period=EvaluationPeriod.from_row(row))

    @strawberry.mutation(description="立即评估能上能下规则")
    async def flags_evaluate(self, info: AppInfo, input: FlagsEvaluateInput) -> FlagsEvaluateResult:
        info.context.require(Role.SUPERVISION_OFFICE)
        try:
            pid = _id(input.period_id, "periodId")
            await service.evaluate_flags_now(info.context.pool, pid)
            async with info.context.pool.acquire() as conn:
                from services.evaluation import store_periods

                rows = await store_periods.list_flags(conn, pid, None)
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return FlagsEvaluateSuccess(flags=[PerformanceFlag.from_row(r) for r in rows])

    @strawberry.mutation(description="录入领导表扬或批评")
    async def commendation_record(
        self, info: AppInfo, input: CommendationRecordInput
    ) -> CommendationRecordResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE)
        try:
            person = _id(input.person_id, "personId")
            item = parse_uuid(input.item_id) if input.item_id else None
            row = await service.record_commendation(
                info.context.pool,
                principal,
                person,
                input.kind,
                input.points,
                input.reason,
                item,
                datetime.now(UTC),
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        points = row["points"] if row["kind"] == "COMMENDATION" else -row["points"]
        return CommendationRecordSuccess(person_id=input.person_id, points=points)

    @strawberry.mutation(description="录入干部选拔的其他组成项(0-100)")
    async def selection_component_set(
        self, info: AppInfo, input: SelectionComponentSetInput
    ) -> EvaluationInputResult:
        info.context.require(Role.SUPERVISION_OFFICE)
        try:
            await service.set_component(
                info.context.pool,
                _id(input.period_id, "periodId"),
                _id(input.person_id, "personId"),
                input.component,
                input.value,
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return EvaluationInputSuccess(period_id=input.period_id)

    @strawberry.mutation(description="录入单位群众满意度测评(0-100)")
    async def unit_survey_set(
        self, info: AppInfo, input: UnitSurveySetInput
    ) -> EvaluationInputResult:
        info.context.require(Role.SUPERVISION_OFFICE)
        try:
            await service.set_survey(
                info.context.pool,
                _id(input.period_id, "periodId"),
                _id(input.unit_id, "unitId"),
                input.score,
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return EvaluationInputSuccess(period_id=input.period_id)

    @strawberry.mutation(description="记录一票否决(须说明理由)")
    async def unit_veto_record(
        self, info: AppInfo, input: UnitVetoRecordInput
    ) -> EvaluationInputResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE)
        try:
            await service.record_veto(
                info.context.pool,
                principal,
                _id(input.period_id, "periodId"),
                _id(input.unit_id, "unitId"),
                input.reason,
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return EvaluationInputSuccess(period_id=input.period_id)
