"""GraphQL of the unit differentiated evaluation: Unit.evaluation, rankings, survey, veto."""

from __future__ import annotations

import strawberry

from services.core.auth import Role
from services.core.graphql import AppInfo, run_mutation
from services.core.ids import try_uuid
from services.evaluation import access
from services.evaluation.ids import require_id
from services.evaluation.periods.graphql import EvaluationInputResult, EvaluationInputSuccess
from services.evaluation.units import service
from services.evaluation.units.domain import UnitResult
from services.evaluation.units.loaders import unit_results_for


@strawberry.type(description="单位差异化评价")
class UnitEvaluation:
    unit_id: strawberry.ID
    period_id: strawberry.ID
    category: str
    workload_score: float
    difficulty_score: float
    effect_score: float
    total: float
    rank: int
    failed: bool = strawberry.field(description="一票否决")
    veto_reason: str | None
    lines: list[str] = strawberry.field(description="逐项说明")

    @strawberry.field
    def unit(self) -> Unit:
        return Unit(id=self.unit_id)

    @classmethod
    def of(cls, r: UnitResult, period_id: str) -> UnitEvaluation:
        return cls(
            unit_id=strawberry.ID(r.unit_id),
            period_id=strawberry.ID(period_id),
            category=r.category,
            workload_score=r.workload_score,
            difficulty_score=r.difficulty_score,
            effect_score=r.effect_score,
            total=r.total,
            rank=r.rank,
            failed=r.failed,
            veto_reason=r.veto_reason,
            lines=r.lines,
        )


@strawberry.federation.type(keys=["id"])
class Unit:
    id: strawberry.ID

    @strawberry.field(description="单位差异化评价 (null when not visible to the caller)")
    async def evaluation(self, info: AppInfo, period_id: strawberry.ID) -> UnitEvaluation | None:
        principal = info.context.require()
        pid = try_uuid(period_id)
        if pid is None or not access.may_see_unit(principal, str(self.id)):
            return None
        results = await unit_results_for(info.context, pid)
        if results is None or str(self.id) not in results:
            return None
        return UnitEvaluation.of(results[str(self.id)], str(pid))

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Unit:
        return cls(id=id)


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


@strawberry.field(description="单位差异化评价排名(按类别)")
async def unit_rankings(
    info: AppInfo, period_id: strawberry.ID, category: str | None = None
) -> list[UnitEvaluation]:
    info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
    pid = try_uuid(period_id)
    results = await unit_results_for(info.context, pid) if pid else None
    if results is None:
        return []
    return [
        UnitEvaluation.of(r, str(pid))
        for r in results.values()
        if category is None or r.category == category
    ]


@strawberry.mutation(description="录入单位群众满意度测评(0-100)")
async def unit_survey_set(info: AppInfo, input: UnitSurveySetInput) -> EvaluationInputResult:
    info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: service.set_survey(
            info.context.pool,
            require_id(input.period_id, "periodId"),
            require_id(input.unit_id, "unitId"),
            input.score,
        ),
        lambda _: EvaluationInputSuccess(period_id=input.period_id),
    )


@strawberry.mutation(description="记录一票否决(须说明理由)")
async def unit_veto_record(info: AppInfo, input: UnitVetoRecordInput) -> EvaluationInputResult:
    principal = info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: service.record_veto(
            info.context.pool,
            principal,
            require_id(input.period_id, "periodId"),
            require_id(input.unit_id, "unitId"),
            input.reason,
        ),
        lambda _: EvaluationInputSuccess(period_id=input.period_id),
    )
