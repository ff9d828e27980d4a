"""The office's working-day calendar: set or imported in tasks (audited, published),
projected by alerts and evaluation; the cliff after the last year is warned about."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest_asyncio

from services.core import calendar, clock
from services.core.calendar import workdays_between
from services.core.db import connect
from services.core.settings import Settings
from tests.support.servers import GraphQLClient, running_service, token, wait_for

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)  # 31 days before the shipped calendar runs out

COVERAGE = "{ calendarCoverage { lastYear daysLeft warning } }"
SET_YEAR = """
mutation($i: CalendarYearSetInput!) { calendarYearSet(input: $i) { __typename
  ... on CalendarYearSetSuccess { calendarYear { year source version days { day kind name } } }
  ... on ValidationError { code message field } } }"""
IMPORT = """
mutation($f: String!) { calendarImport(input: {contentBase64: $f}) { __typename
  ... on CalendarImportSuccess { years { year source version days { day kind } } }
  ... on ValidationError { code message } } }"""
READ_YEAR = "query($y: Int!) { calendarYear(year: $y) { year source version days { day kind } } }"

YEAR_2027: dict[str, Any] = {
    "year": 2027,
    "days": [
        {"day": "2027-01-01", "kind": "HOLIDAY", "name": "元旦"},
        *({"day": f"2027-02-{d:02d}", "kind": "HOLIDAY", "name": "春节"} for d in range(5, 12)),
        {"day": "2027-02-13", "kind": "WORKDAY", "name": "春节"},
    ],
}


@pytest_asyncio.fixture(scope="module")
async def stack(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    clock.set_clock(lambda: NOW)
    try:
        async with (
            running_service("tasks", settings) as (tasks_app, client),
            running_service("alerts", settings) as (alerts_app, _),
            running_service("evaluation", settings) as (_, _e),
        ):
            yield {"client": client, "tasks": tasks_app, "alerts": alerts_app, "settings": settings}
    finally:
        clock.set_clock(None)
        calendar.reset()  # the in-process calendar is shared with other test modules


async def projected(settings: Settings, schema: str, year: int) -> list[asyncpg.Record]:
    conn = await connect(settings.require_database_url(), schema)
    try:
        return await conn.fetch(
            "SELECT d.day, d.kind, y.version FROM calendar_days d JOIN calendar_years y"
            " USING (year) WHERE year = $1 ORDER BY day",
            year,
        )
    finally:
        await conn.close()


async def test_the_cliff_is_announced_in_the_api_readiness_and_metrics(
    stack: dict[str, Any],
) -> None:
    data = await stack["client"](COVERAGE)
    cov = data["calendarCoverage"]
    assert (cov["lastYear"], cov["daysLeft"]) == (2026, 30) and "2027" in cov["warning"]
    import httpx

    transport = httpx.ASGITransport(app=stack["alerts"])
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200  # a warning, not unreadiness
        assert ready.json()["warnings"] and ready.json()["calendar"]["lastYear"] == 2026
        metrics = (await http.get("/metrics")).text
    assert "ducha_calendar_warning 1.0" in metrics
    assert "ducha_calendar_last_year 2026.0" in metrics
    # the shipped years are seeded in every service's own tables
    assert len(await projected(stack["settings"], "evaluation", 2018)) > 20


async def test_a_year_set_by_the_office_is_audited_published_and_projected(
    stack: dict[str, Any],
) -> None:
    settings, client = stack["settings"], stack["client"]
    assert workdays_between(date(2026, 12, 30), date(2027, 1, 5)) == 4  # Mon–Fri guess
    result = (await client(SET_YEAR, {"i": YEAR_2027}))["calendarYearSet"]
    assert result["__typename"] == "CalendarYearSetSuccess", result
    assert result["calendarYear"]["version"] == 1 and result["calendarYear"]["source"] == "office"
    assert workdays_between(date(2026, 12, 30), date(2027, 1, 5)) == 3  # New Year's Day off
    cov = (await client(COVERAGE))["calendarCoverage"]
    assert (cov["lastYear"], cov["warning"]) == (2027, None)

    for schema in ("alerts", "evaluation"):  # through tasks.calendar.changed

        async def arrived(schema: str = schema) -> bool:
            return len(await projected(settings, schema, 2027)) == 9

        await wait_for(arrived, timeout=30)

    conn = await connect(settings.require_database_url(), "tasks")
    try:
        entry = await conn.fetchrow(
            "SELECT * FROM audit_log WHERE action = 'calendar.year_set' AND subject_id = '2027'"
        )
    finally:
        await conn.close()
    assert entry is not None and entry["before"] is None
    assert "2027-01-01" in entry["after"]["holidays"]

    again = dict(YEAR_2027, days=YEAR_2027["days"][1:])  # the office drops New Year's Day
    assert (await client(SET_YEAR, {"i": again}))["calendarYearSet"]["calendarYear"]["version"] == 2

    async def updated() -> bool:
        rows = await projected(settings, "alerts", 2027)
        return len(rows) == 8 and rows[0]["version"] == 2

    await wait_for(updated, timeout=30)


async def test_wrong_days_are_typed_errors_and_only_the_office_edits(
    stack: dict[str, Any],
) -> None:
    client: GraphQLClient = stack["client"]
    weekday_worked = {"year": 2028, "days": [{"day": "2028-03-01", "kind": "WORKDAY"}]}
    wrong_year = {"year": 2028, "days": [{"day": "2029-01-01", "kind": "HOLIDAY"}]}
    for bad in (weekday_worked, wrong_year, {"year": 1800, "days": []}):
        result = (await client(SET_YEAR, {"i": bad}))["calendarYearSet"]
        assert result["__typename"] == "ValidationError", result
    head = client.as_(token(stack["settings"], "UNIT_HEAD"))
    body = await head.raw(SET_YEAR, {"i": YEAR_2027})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await client(READ_YEAR, {"y": 2028}))["calendarYear"] is None


async def test_a_csv_file_imports_whole_years(stack: dict[str, Any]) -> None:
    client: GraphQLClient = stack["client"]
    csv = "日期,类型,名称\n2028-01-03,休,元旦\n2028/01/29,班,春节\n2028-01-31,休,春节\n"
    encoded = base64.b64encode(csv.encode("gb18030")).decode()  # as Excel saves it
    result = (await client(IMPORT, {"f": encoded}))["calendarImport"]
    assert result["__typename"] == "CalendarImportSuccess", result
    (year,) = result["years"]
    assert (year["year"], year["source"], len(year["days"])) == (2028, "import", 3)
    assert not calendar.is_workday(date(2028, 1, 31)) and calendar.is_workday(date(2028, 1, 29))

    bad = base64.b64encode("2028-02-01,休\n2028-13-01,休\nx,班\n".encode()).decode()
    result = (await client(IMPORT, {"f": bad}))["calendarImport"]
    assert result["__typename"] == "ValidationError"
    assert "第2行" in result["message"] and "第3行" in result["message"]
    read = (await client(READ_YEAR, {"y": 2028}))["calendarYear"]
    assert len(read["days"]) == 3  # the bad file changed nothing
