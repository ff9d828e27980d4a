"""GraphQL of the up/down rules (能上能下): flags with their evidence."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from services.core.auth import Role
from services.core.graphql import AppInfo, NotFoundError, ValidationError, run_mutation
from services.core.ids import try_uuid
from services.evaluation.ids import require_id
from services.evaluation.updown import service, store


@strawberry.type(description="能上能下预警标记，附依据")
class PerformanceFlag:
    person_id: strawberry.ID
    period_id: strawberry.ID
    period_name: str
    rule_code: str
    direction: str
    evidence: JSON

    @classmethod
    def from_row(cls, r: Any) -> PerformanceFlag:
        return cls(
            person_id=strawberry.ID(str(r["person_id"])),
            period_id=strawberry.ID(str(r["period_id"])),
            period_name=r["period_name"],
            rule_code=r["rule_code"],
            direction=r["direction"],
            evidence=r["evidence"],
        )


@strawberry.input
class FlagsEvaluateInput:
    period_id: strawberry.ID


@strawberry.type
class FlagsEvaluateSuccess:
    flags: list[PerformanceFlag]


FlagsEvaluateResult = Annotated[
    FlagsEvaluateSuccess | ValidationError | NotFoundError,
    strawberry.union("FlagsEvaluateResult"),
]


@strawberry.field(description="能上能下预警标记")
async def evaluation_flags(info: AppInfo, period_id: strawberry.ID) -> list[PerformanceFlag]:
    info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER)
    pid = try_uuid(period_id)
    if pid is None:
        return []
    async with info.context.pool.acquire() as conn:
        return [PerformanceFlag.from_row(r) for r in await store.list_flags(conn, pid, None)]


@strawberry.mutation(description="立即评估能上能下规则")
async def flags_evaluate(info: AppInfo, input: FlagsEvaluateInput) -> FlagsEvaluateResult:
    info.context.require(Role.SUPERVISION_OFFICE)

    async def evaluate() -> list[Any]:
        pid = require_id(input.period_id, "periodId")
        await service.evaluate_flags_now(info.context.pool, pid)
        async with info.context.pool.acquire() as conn:
            return await store.list_flags(conn, pid, None)

    return await run_mutation(
        evaluate,
        lambda rows: FlagsEvaluateSuccess(flags=[PerformanceFlag.from_row(r) for r in rows]),
    )
