"""Evaluation's contribution to the federated graph: Person.performance, Unit.evaluation,
SupervisionItem.evaluation, and the value types of rankings, periods and exemptions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from services.core.graphql import AppInfo
from services.evaluation import service, store
from services.evaluation.domain.units import UnitResult
from services.evaluation.graphql.loaders import (
    entries_loader,
    flags_loader,
    items_loader,
    may_see_person,
    may_see_unit,
    score_by_person_id,
    standings_for,
    unit_results_for,
)


def parse_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


@strawberry.enum(description="考核期类型")
class PeriodKind(Enum):
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.enum(description="可由督查办编辑的规则类别")
class RuleKind(Enum):
    SCORING = "SCORING"
    SELECTION_WEIGHTS = "SELECTION_WEIGHTS"
    UNIT_WEIGHTS = "UNIT_WEIGHTS"
    UP_DOWN = "UP_DOWN"


@strawberry.type(description="考核期")
class EvaluationPeriod:
    id: strawberry.ID
    kind: PeriodKind
    name: str
    starts_on: date
    ends_on: date
    state: str
    closed_at: datetime | None

    @classmethod
    def from_row(cls, r: Any) -> EvaluationPeriod:
        return cls(
            id=strawberry.ID(str(r["id"])),
            kind=PeriodKind(r["kind"]),
            name=r["name"],
            starts_on=r["starts_on"],
            ends_on=r["ends_on"],
            state=r["state"],
            closed_at=r["closed_at"],
        )


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


@strawberry.type(description="政绩档案中的一条记分记录，指向引起它的事件")
class PerformanceLine:
    id: strawberry.ID
    rule: str
    points: float
    explanation: str
    occurred_at: datetime
    item_id: strawberry.ID | None
    event_id: strawberry.ID
    rule_version: int
    exemption_id: strawberry.ID | None

    @classmethod
    def from_row(cls, r: Any) -> PerformanceLine:
        return cls(
            id=strawberry.ID(str(r["id"])),
            rule=r["rule"],
            points=r["points"],
            explanation=r["explanation"],
            occurred_at=r["occurred_at"],
            item_id=strawberry.ID(str(r["item_id"])) if r["item_id"] else None,
            event_id=strawberry.ID(str(r["event_id"])),
            rule_version=r["rule_version"],
            exemption_id=strawberry.ID(str(r["exemption_id"])) if r["exemption_id"] else None,
        )


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


@strawberry.type(description="干部承办(OWNER)或分包(LEADER)的事项及其考核结果")
class CadreItem:
    item_id: strawberry.ID
    code: str
    title: str
    role: str
    state: str
    outcome: str | None
    days_overdue: int
    level: str | None


@strawberry.type(description="电子政绩档案: a cadre's performance (all time, or one period).")
class Performance:
    score: float = strawberry.field(description="总分(所选考核期内，否则全部)")
    entries: int = strawberry.field(description="记分记录条数")
    person_id: strawberry.ID | None = None
    period_id: strawberry.ID | None = None
    rank: int | None = None
    rank_in_group: int | None = None
    rank_group: str | None = None
    ranked_cadres: int | None = None
    normalised: float | None = None
    composite: float | None = None
    composite_lines: list[str] = strawberry.field(default_factory=list)

    @strawberry.field(description="逐条说明得分: every ledger line behind the score")
    async def lines(self, info: AppInfo) -> list[PerformanceLine]:
        rows = await entries_loader(info.context, self.period_id).load(str(self.person_id))
        return [PerformanceLine.from_row(r) for r in rows]

    @strawberry.field(description="承办或分包的事项")
    async def items(self, info: AppInfo) -> list[CadreItem]:
        rows = await items_loader(info.context).load(str(self.person_id))
        return [
            CadreItem(
                item_id=strawberry.ID(str(r["id"])),
                code=r["code"],
                title=r["title"],
                role=role,
                state=r["state"],
                outcome=r["outcome"],
                days_overdue=r["days_overdue"],
                level=r["level"],
            )
            for r, role in rows
        ]

    @strawberry.field(description="能上能下预警")
    async def flags(self, info: AppInfo) -> list[PerformanceFlag]:
        rows = await flags_loader(info.context).load(str(self.person_id))
        pid = str(self.period_id) if self.period_id else None
        return [
            PerformanceFlag.from_row(r) for r in rows if pid is None or str(r["period_id"]) == pid
        ]


@strawberry.federation.type(keys=["id"])
class Person:
    id: strawberry.ID

    @strawberry.field(
        description="政绩档案: all-time total, or one period's score, rank, lines and flags"
        " (null when the caller may not see this person's file)"
    )
    async def performance(
        self, info: AppInfo, period_id: strawberry.ID | None = None
    ) -> Performance | None:
        ctx = info.context
        principal = ctx.require()
        if not await may_see_person(ctx, principal, str(self.id)):
            return None
        if period_id is None:
            row = await score_by_person_id(ctx).load(str(self.id))
            return Performance(
                score=row["score"] if row else 0.0,
                entries=row["entries"] if row else 0,
                person_id=self.id,
            )
        pid = parse_uuid(period_id)
        found = await standings_for(ctx, pid) if pid else None
        if found is None:
            return None
        _, standings = found
        s = standings.get(str(self.id))
        if s is None:
            return Performance(score=0.0, entries=0, person_id=self.id, period_id=period_id)
        return Performance(
            score=s.score,
            entries=s.entries,
            person_id=self.id,
            period_id=period_id,
            rank=s.rank,
            rank_in_group=s.rank_in_group,
            rank_group=s.group,
            ranked_cadres=len(standings),
            normalised=s.normalised,
            composite=s.composite,
            composite_lines=s.composite_lines,
        )

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Person:
        return cls(id=id)


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
        pid = parse_uuid(period_id)
        if pid is None or not may_see_unit(principal, str(self.id)):
            return None
        results = await unit_results_for(info.context, pid)
        if results is None or str(self.id) not in results:
            return None
        return UnitEvaluation.of(results[str(self.id)], str(pid))

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Unit:
        return cls(id=id)


@strawberry.type(description="事项处于某一颜色的累计时长")
class EvaluationColourTime:
    level: str
    hours: float


@strawberry.type(description="事项的考核事实: 结果按原定时限判定")
class ItemEvaluation:
    outcome: str | None
    days_overdue: int
    original_deadline: date
    extensions: int
    verifications_passed: int
    verifications_disputed: int
    colour_times: list[EvaluationColourTime]


@strawberry.federation.type(keys=["id"])
class SupervisionItem:
    id: strawberry.ID

    @strawberry.field(description="考核事实(按期/逾期、逾期天数、各颜色时长、核实、延期)")
    async def evaluation(self, info: AppInfo) -> ItemEvaluation | None:
        info.context.require()
        item_id = parse_uuid(self.id)
        if item_id is None:
            return None
        async with info.context.pool.acquire() as conn:
            item = await store.get_item(conn, item_id)
            if item is None:
                return None
            hours = await store.colour_hours(conn, [item_id], datetime.now(UTC))
        return ItemEvaluation(
            outcome=item["outcome"],
            days_overdue=item["days_overdue"],
            original_deadline=item["original_deadline"],
            extensions=item["extensions"],
            verifications_passed=item["verifications_passed"],
            verifications_disputed=item["verifications_disputed"],
            colour_times=[
                EvaluationColourTime(level=h["level"], hours=round(float(h["hours"]), 2))
                for h in hours
            ],
        )

    @classmethod
    def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> SupervisionItem:
        return cls(id=id)


@strawberry.type(description="干部排名中的一行")
class CadreRanking:
    person_id: strawberry.ID
    rank_group: str
    score: float
    entries: int
    rank: int
    rank_in_group: int
    normalised: float
    composite: float | None
    red_items: int

    @strawberry.field
    def person(self) -> Person:
        return Person(id=self.person_id)

    @classmethod
    def of(cls, s: service.CadreStanding) -> CadreRanking:
        return cls(
            person_id=strawberry.ID(s.person_id),
            rank_group=s.group,
            score=s.score,
            entries=s.entries,
            rank=s.rank,
            rank_in_group=s.rank_in_group,
            normalised=s.normalised,
            composite=s.composite,
            red_items=s.red_items,
        )


@strawberry.type
class CadreRankingPage:
    nodes: list[CadreRanking]
    total_count: int
    end_cursor: str | None
    has_next_page: bool


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
        from services.evaluation.domain.exemptions import CASE_TYPES

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


@strawberry.type(description="导出的Excel文件 (base64)")
class EvaluationExport:
    filename: str
    mime_type: str
    content_base64: str
