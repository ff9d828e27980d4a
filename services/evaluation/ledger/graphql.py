"""GraphQL of the ledger: Person.performance (the 电子政绩档案 with its lines, items and
flags), SupervisionItem.evaluation (the item's facts), the caller's own file, and the
office's commendations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from services.core import clock
from services.core.auth import Role
from services.core.graphql import AppInfo, NotFoundError, ValidationError, run_mutation
from services.core.ids import try_uuid
from services.evaluation.ids import require_id
from services.evaluation.ledger import service, store
from services.evaluation.ledger.loaders import (
    entries_loader,
    items_loader,
    may_read_item,
    may_see_person,
    score_by_person_id,
)
from services.evaluation.periods.loaders import standings_for
from services.evaluation.updown.graphql import PerformanceFlag
from services.evaluation.updown.loaders import flags_loader


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
        pid = try_uuid(period_id)
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
        principal = info.context.require()
        item_id = try_uuid(self.id)
        if item_id is None or not await may_read_item(info.context, principal, str(item_id)):
            return None
        async with info.context.pool.acquire() as conn:
            item = await store.get_item(conn, item_id)
            if item is None:
                return None
            hours = await store.colour_hours(conn, [item_id], clock.now())
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
    async def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> SupervisionItem | None:
        """Null for a projected item the caller may not read."""
        if await may_read_item(info.context, info.context.require(), str(id)) is False:
            return None
        return cls(id=id)


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


@strawberry.field(description="The caller's own performance file (all time).")
async def my_performance(info: AppInfo) -> Performance:
    principal = info.context.require()
    row = await score_by_person_id(info.context).load(principal.subject)
    return Performance(
        score=row["score"] if row else 0.0,
        entries=row["entries"] if row else 0,
        person_id=strawberry.ID(principal.subject),
    )


@strawberry.mutation(description="录入领导表扬或批评")
async def commendation_record(
    info: AppInfo, input: CommendationRecordInput
) -> CommendationRecordResult:
    principal = info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: service.record_commendation(
            info.context.pool,
            principal,
            require_id(input.person_id, "personId"),
            input.kind,
            input.points,
            input.reason,
            try_uuid(input.item_id),
            clock.now(),
        ),
        lambda row: CommendationRecordSuccess(
            person_id=input.person_id,
            points=row["points"] if row["kind"] == "COMMENDATION" else -row["points"],
        ),
    )
