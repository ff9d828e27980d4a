"""GraphQL of the rule sets: the version in force, publishing a new version."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from services.core import clock
from services.core.auth import Role
from services.core.graphql import AppInfo, ValidationError, run_mutation
from services.evaluation.rules import service


@strawberry.enum(description="可由督查办编辑的规则类别")
class RuleKind(Enum):
    SCORING = "SCORING"
    SELECTION_WEIGHTS = "SELECTION_WEIGHTS"
    UNIT_WEIGHTS = "UNIT_WEIGHTS"
    UP_DOWN = "UP_DOWN"


@strawberry.type(description="一个版本的规则或权重(数据，而非代码常量)")
class EvaluationRuleSet:
    kind: RuleKind
    version: int
    body: JSON
    effective_from: datetime | None
    created_by: str | None

    @classmethod
    def of(cls, rs: service.RuleSet) -> EvaluationRuleSet:
        return cls(
            kind=RuleKind(rs.kind),
            version=rs.version,
            body=rs.body,
            effective_from=rs.effective_from,
            created_by=rs.created_by,
        )


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


@strawberry.field(description="现行规则/权重(最新版本)")
async def evaluation_rule_set(info: AppInfo, kind: RuleKind) -> EvaluationRuleSet:
    info.context.require()
    async with info.context.pool.acquire() as conn:
        return EvaluationRuleSet.of(await service.current_rule_set(conn, kind.value))


@strawberry.mutation(description="发布新版本的计分规则/权重/能上能下规则")
async def rule_set_update(info: AppInfo, input: RuleSetUpdateInput) -> RuleSetUpdateResult:
    principal = info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: service.update_rule_set(
            info.context.pool, principal, input.kind.value, input.body, clock.now()
        ),
        lambda rs: RuleSetUpdateSuccess(rule_set=EvaluationRuleSet.of(rs)),
    )
