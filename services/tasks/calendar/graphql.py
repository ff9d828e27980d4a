"""GraphQL of the office's working-day calendar: read a year, set a year, import a
file, and how far the calendar reaches (``calendarCoverage``, the banner's field)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any

import strawberry

from services.core import calendar, clock
from services.core.calendar import Year
from services.core.graphql import AppInfo, ValidationError, run_mutation
from services.tasks.calendar import domain, service
from services.tasks.ledger.graphql import decode_file


@strawberry.enum(description="休 a weekday off (holiday) / 班 a weekend day worked (调休上班)")
class CalendarDayKind(Enum):
    HOLIDAY = "HOLIDAY"
    WORKDAY = "WORKDAY"


@strawberry.type(description="One exception to Monday–Friday.")
class CalendarDay:
    day: dt.date
    kind: CalendarDayKind
    name: str


@strawberry.type(description="工作日历: one year's holidays and make-up workdays.")
class CalendarYear:
    year: int
    source: str = strawberry.field(description="chinese_calendar (shipped), office or import")
    version: int
    days: list[CalendarDay]

    @classmethod
    def of(cls, y: Year) -> CalendarYear:
        return cls(
            year=y.year,
            source=y.source,
            version=y.version,
            days=[
                CalendarDay(day=d, kind=CalendarDayKind(k), name=n)
                for d, (k, n) in sorted(y.days.items())
            ],
        )


@strawberry.type(description="How far the working-day calendar reaches (banner when warning).")
class CalendarCoverage:
    last_year: int | None = strawberry.field(description="Last year with a schedule.")
    days_left: int = strawberry.field(description="Days from today to its 31 December.")
    warning: str | None = strawberry.field(
        description="Set from 60 days before the end: past it, Mon–Fri is used."
    )


@strawberry.input
class CalendarDayInput:
    day: dt.date
    kind: CalendarDayKind
    name: str = ""


@strawberry.input
class CalendarYearSetInput:
    year: int
    days: list[CalendarDayInput] = strawberry.field(
        description="Every holiday and make-up workday of the year (replaces the year)."
    )


@strawberry.input
class CalendarImportInput:
    content_base64: str = strawberry.field(
        description="A CSV file, base64: 日期,类型,名称 per line (类型: 休/班), UTF-8 or GBK."
    )


@strawberry.type
class CalendarYearSetSuccess:
    calendar_year: CalendarYear


@strawberry.type
class CalendarImportSuccess:
    years: list[CalendarYear]


CalendarYearSetResult = Annotated[
    CalendarYearSetSuccess | ValidationError, strawberry.union("CalendarYearSetResult")
]
CalendarImportResult = Annotated[
    CalendarImportSuccess | ValidationError, strawberry.union("CalendarImportResult")
]


@strawberry.type
class CalendarQuery:
    @strawberry.field(description="工作日历: one year's schedule (null when it has none).")
    async def calendar_year(self, info: AppInfo, year: int) -> CalendarYear | None:
        info.context.require()
        found = await service.get_year(info.context.pool, year)
        return CalendarYear.of(found) if found else None

    @strawberry.field(description="How far the working-day calendar reaches from today.")
    def calendar_coverage(self, info: AppInfo) -> CalendarCoverage:
        info.context.require()
        cov = calendar.coverage(clock.today())
        return CalendarCoverage(
            last_year=cov.last_year, days_left=cov.days_left, warning=cov.warning
        )


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(description="设置某年的放假和调休安排 (office); audited.")
    async def calendar_year_set(
        self, info: AppInfo, input: CalendarYearSetInput
    ) -> CalendarYearSetResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            days = [domain.Day(d.day, d.kind.value, d.name) for d in input.days]
            return await service.set_year(pool, principal, input.year, days)

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda y: CalendarYearSetSuccess(calendar_year=CalendarYear.of(y))
        )

    @strawberry.mutation(description="导入工作日历 from a CSV file (office); each year whole.")
    async def calendar_import(
        self, info: AppInfo, input: CalendarImportInput
    ) -> CalendarImportResult:
        principal, pool = info.context.require(), info.context.pool

        async def call() -> Any:
            return await service.import_file(pool, principal, decode_file(input.content_base64))

        return await run_mutation(  # type: ignore[no-any-return]
            call, lambda ys: CalendarImportSuccess(years=[CalendarYear.of(y) for y in ys])
        )
