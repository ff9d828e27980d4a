"""Rule settings: the office sets the thresholds per source."""

from __future__ import annotations

from typing import Annotated

import strawberry

from services.alerts import service
from services.alerts.graphql.types import AlertRule
from services.core.auth import Role
from services.core.errors import DomainError
from services.core.graphql import AppInfo, ValidationError, user_error


@strawberry.input
class AlertRuleSetInput:
    source: str = strawberry.field(description="事项来源, or DEFAULT for every other source")
    lag_tolerance: int = strawberry.field(description="容差 in percentage points (0–100)")
    stall_cycles: int = strawberry.field(description="停滞窗口 in reporting cycles (1–52)")


@strawberry.type
class AlertRuleSetSuccess:
    rule: AlertRule


AlertRuleSetResult = Annotated[
    AlertRuleSetSuccess | ValidationError, strawberry.union("AlertRuleSetResult")
]


@strawberry.type
class RuleMutation:
    @strawberry.mutation(description="设置预警规则: a new version of one source's thresholds.")
    async def alert_rule_set(self, info: AppInfo, input: AlertRuleSetInput) -> AlertRuleSetResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE)
        try:
            row = await service.set_rules(
                info.context.pool,
                input.source,
                input.lag_tolerance,
                input.stall_cycles,
                principal.subject,
            )
        except DomainError as e:
            return user_error(e)  # type: ignore[return-value]
        return AlertRuleSetSuccess(rule=AlertRule.from_row(row))
