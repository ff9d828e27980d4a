"""Rule settings: the office sets the thresholds per source and the reminder templates and
notice thresholds; office and leaders read them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry

from services.alerts import access
from services.alerts.rules import service, store
from services.alerts.rules.domain import (
    DEFAULT_TEMPLATES,
    ReminderRules,
    RuleSource,
    allowed_placeholders,
    required_placeholders,
)
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


@strawberry.type(description="提醒模板: the wording of one kind of reminder, with {placeholders}.")
class ReminderTemplate:
    key: str = strawberry.field(description="Which reminder (e.g. REPORT_DUE, NOTICE_UNACKED)")
    text: str
    default_text: str = strawberry.field(description="The house-style wording shipped")
    placeholders: list[str] = strawberry.field(description="Placeholders this text may use")
    required: list[str] = strawberry.field(description="Placeholders this text must use")


@strawberry.type(
    description="提醒规则: the reminder templates and notice thresholds in force (version 0 = "
    "the defaults, never saved)."
)
class AlertReminderRules:
    version: int
    templates: list[ReminderTemplate]
    notice_remind_workdays: int = strawberry.field(
        description="通知单未签阅: remind its recipient after this many working days"
    )
    notice_escalate_workdays: int = strawberry.field(
        description="通知单无人签阅: tell the leader and unit heads after this many working days"
    )
    created_at: datetime | None
    created_by: str | None

    @classmethod
    def of(cls, rules: ReminderRules) -> AlertReminderRules:
        return cls(
            version=rules.version,
            templates=[
                ReminderTemplate(
                    key=key,
                    text=rules.template(key),
                    default_text=default,
                    placeholders=sorted(allowed_placeholders(key)),
                    required=sorted(required_placeholders(key)),
                )
                for key, default in DEFAULT_TEMPLATES.items()
            ],
            notice_remind_workdays=rules.notice_remind_workdays,
            notice_escalate_workdays=rules.notice_escalate_workdays,
            created_at=rules.created_at,
            created_by=rules.created_by,
        )


@strawberry.input
class ReminderTemplateInput:
    key: str = strawberry.field(description="Which reminder (AlertReminderRules.templates.key)")
    text: str = strawberry.field(description="The new wording, with {placeholders}")


@strawberry.input
class AlertReminderRulesSetInput:
    templates: list[ReminderTemplateInput] = strawberry.field(
        default_factory=list, description="Templates to change (the others are kept)"
    )
    notice_remind_workdays: int | None = strawberry.field(
        default=None, description="1–20 working days; unchanged when omitted"
    )
    notice_escalate_workdays: int | None = strawberry.field(
        default=None, description="After the reminder, at most 30; unchanged when omitted"
    )


@strawberry.type
class AlertReminderRulesSetSuccess:
    rules: AlertReminderRules


AlertReminderRulesSetResult = Annotated[
    AlertReminderRulesSetSuccess | ValidationError,
    strawberry.union("AlertReminderRulesSetResult"),
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

    @strawberry.field(description="提醒规则 in force: reminder templates, notice thresholds.")
    async def alert_reminder_rules(self, info: AppInfo) -> AlertReminderRules:
        info.context.require(*access.RULE_READERS)
        async with info.context.pool.acquire() as conn:
            return AlertReminderRules.of(await service.reminder_rules(conn))


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

    @strawberry.mutation(
        description="设置提醒规则: a new version of the reminder templates (each checked "
        "against the house style; a bad one is refused naming templates.<key>) and notice "
        "thresholds."
    )
    async def alert_reminder_rules_set(
        self, info: AppInfo, input: AlertReminderRulesSetInput
    ) -> AlertReminderRulesSetResult:
        principal = info.context.require(*access.RULE_WRITERS)
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.set_reminder_rules(
                info.context.pool,
                [(t.key, t.text) for t in input.templates],
                input.notice_remind_workdays,
                input.notice_escalate_workdays,
                principal.subject,
            ),
            lambda rules: AlertReminderRulesSetSuccess(rules=AlertReminderRules.of(rules)),
        )
