"""Rule settings: the office sets the thresholds per source; office and leaders read them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry

from services.alerts import access
from services.alerts.rules import service, store
from services.alerts.rules.domain import RuleSource
from services.core.graphql import AppInfo, ValidationError, run_mutation

strawberry.enum(
    RuleSource, name="AlertRuleSource", description="事项来源 of a rule, or DEFAULT for the rest"
)


@strawberry.type(description="预警规则: thresholds for one source (DEFAULT for the rest).")
class AlertRule:
    source: RuleSource
    lag_tolerance: int = strawberry.field(description="容差: percentage points")
    stall_cycles: int = strawberry.field(description="停滞窗口: reporting cycles")
    version: int
    created_at: datetime
    created_by: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AlertRule:
        return cls(
            source=RuleSource(row["source"]),
            lag_tolerance=row["lag_tolerance"],
            stall_cycles=row["stall_cycles"],
            version=row["version"],
            created_at=row["created_at"],
            created_by=row["created_by"],
        )


@strawberry.input
class AlertRuleSetInput:
    source: RuleSource = strawberry.field(description="事项来源, or DEFAULT for every other source")
    lag_tolerance: int = strawberry.field(description="容差 in percentage points (0–100)")
    stall_cycles: int = strawberry.field(description="停滞窗口 in reporting cycles (1–52)")


@strawberry.type
class AlertRuleSetSuccess:
    rule: AlertRule


AlertRuleSetResult = Annotated[
    AlertRuleSetSuccess | ValidationError, strawberry.union("AlertRuleSetResult")
]


@strawberry.type
class RuleQuery:
    @strawberry.field(description="预警规则 in force, per source (office and leaders).")
    async def alert_rules(self, info: AppInfo) -> list[AlertRule]:
        info.context.require(*access.RULE_READERS)
        async with info.context.pool.acquire() as conn:
            rows = await store.list_current_rules(conn)
        # a row stored before sources were an enum names no source any item has
        return [AlertRule.from_row(r) for r in rows if r["source"] in RuleSource.__members__]


@strawberry.type
class RuleMutation:
    @strawberry.mutation(description="设置预警规则: a new version of one source's thresholds.")
    async def alert_rule_set(self, info: AppInfo, input: AlertRuleSetInput) -> AlertRuleSetResult:
        principal = info.context.require(*access.RULE_WRITERS)
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.set_rules(
                info.context.pool,
                input.source,
                input.lag_tolerance,
                input.stall_cycles,
                principal.subject,
            ),
            lambda row: AlertRuleSetSuccess(rule=AlertRule.from_row(row)),
        )
