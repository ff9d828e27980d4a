"""GraphQL of periods: the periods, the cadre ranking, creating and closing a period, the
selection components entered into an open period."""

from __future__ import annotations

import base64
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from services.core import clock
from services.core.auth import Role
from services.core.errors import ValidationFailed
from services.core.graphql import (
    AppInfo,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
    run_mutation,
)
from services.core.ids import try_uuid
from services.evaluation import access
from services.evaluation.ids import require_id
from services.evaluation.ledger.graphql import Person
from services.evaluation.ledger.loaders import names
from services.evaluation.periods import service, store
from services.evaluation.periods.closing import close_period
from services.evaluation.periods.domain import CadreStanding
from services.evaluation.periods.loaders import standings_for


@strawberry.enum(description="考核期类型")
class PeriodKind(Enum):
    QUARTER = "QUARTER"
    YEAR = "YEAR"


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
    def of(cls, s: CadreStanding) -> CadreRanking:
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
    PeriodCloseSuccess | ValidationError | NotFoundError | InvalidTransitionError,
    strawberry.union("PeriodCloseResult"),
]


@strawberry.input
class SelectionComponentSetInput:
    period_id: strawberry.ID
    person_id: strawberry.ID
    component: str
    value: float


@strawberry.type
class EvaluationInputSuccess:
    period_id: strawberry.ID


EvaluationInputResult = Annotated[
    EvaluationInputSuccess | ValidationError | NotFoundError | InvalidTransitionError,
    strawberry.union("EvaluationInputResult"),
]


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        kind, _, offset = base64.b64decode(after, validate=True).decode().partition(":")
        if kind != "rank" or not offset.isdigit() or len(offset) > 9:
            raise ValueError(after)
        return int(offset)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationFailed("无效的分页游标 (not a cursor this list gave)", field="after") from e


def _cursor(offset: int) -> str:
    return base64.b64encode(f"rank:{offset}".encode()).decode()


@strawberry.field(description="考核期")
async def evaluation_periods(info: AppInfo) -> list[EvaluationPeriod]:
    info.context.require()
    async with info.context.pool.acquire() as conn:
        return [EvaluationPeriod.from_row(r) for r in await store.list_periods(conn)]


@strawberry.field(description="干部政绩排名(分页; 单位负责人只看到本单位干部)")
async def cadre_rankings(
    info: AppInfo,
    period_id: strawberry.ID,
    first: int = 50,
    after: str | None = None,
    rank_group: str | None = None,
) -> CadreRankingPage | None:
    principal = info.context.require(Role.SUPERVISION_OFFICE, Role.LEADER, Role.UNIT_HEAD)
    pid = try_uuid(period_id)
    found = await standings_for(info.context, pid) if pid else None
    if found is None:
        return None
    rows = list(found[1].values())
    if rank_group:
        rows = [s for s in rows if s.group == rank_group]
    if not principal.sees_everything:
        people, _ = await names(info.context)
        rows = [
            s
            for s in rows
            if access.ranking_rows_visible(
                principal,
                str(people[s.person_id]["unit_id"])
                if s.person_id in people and people[s.person_id]["unit_id"]
                else None,
            )
        ]
    start = _offset(after)
    first = max(1, min(first, 500))
    page = rows[start : start + first]
    return CadreRankingPage(
        nodes=[CadreRanking.of(s) for s in page],
        total_count=len(rows),
        end_cursor=_cursor(start + len(page)) if page else None,
        has_next_page=start + len(page) < len(rows),
    )


@strawberry.mutation(description="新建考核期(同类考核期不得重叠)")
async def period_create(info: AppInfo, input: PeriodCreateInput) -> PeriodCreateResult:
    info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: service.create_period(
            info.context.pool, input.kind.value, input.name, input.starts_on, input.ends_on
        ),
        lambda row: PeriodCreateSuccess(period=EvaluationPeriod.from_row(row)),
    )


@strawberry.mutation(description="关闭考核期: 冻结排名快照并评估能上能下规则")
async def period_close(info: AppInfo, input: PeriodCloseInput) -> PeriodCloseResult:
    info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: close_period(info.context.pool, require_id(input.id, "id"), clock.now()),
        lambda row: PeriodCloseSuccess(period=EvaluationPeriod.from_row(row)),
    )


@strawberry.mutation(description="录入干部选拔的其他组成项(0-100)")
async def selection_component_set(
    info: AppInfo, input: SelectionComponentSetInput
) -> EvaluationInputResult:
    info.context.require(Role.SUPERVISION_OFFICE)
    return await run_mutation(
        lambda: service.set_component(
            info.context.pool,
            require_id(input.period_id, "periodId"),
            require_id(input.person_id, "personId"),
            input.component,
            input.value,
        ),
        lambda _: EvaluationInputSuccess(period_id=input.period_id),
    )
