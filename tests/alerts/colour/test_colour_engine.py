"""The colour engine against real PostgreSQL and NATS: consumer, sweep, rules, rebuild."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from services.alerts.colour import service
from services.alerts.colour.jobs import SWEEP_JOB, sweep
from services.alerts.colour.rebuild import rebuild
from services.contracts import tasks as t
from services.core import clock
from services.core.db import create_pool
from services.core.jobs import run_exclusive
from services.core.settings import Settings
from tests.alerts.builders import at, make_snapshot, publish, with_progress
from tests.support.servers import GraphQLClient, running_service, token, wait_for

CLOCK: list[datetime] = [at("2018-06-15")]


@pytest.fixture(scope="module", autouse=True)
def fixed_clock() -> Iterator[None]:
    clock.set_clock(lambda: CLOCK[0])
    yield
    clock.set_clock(None)


@pytest_asyncio.fixture(scope="module")
async def alerts(settings: Settings) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    async with running_service("alerts", settings) as (app, client):
        yield app, client


async def level_of(app: Any, item_id: str) -> tuple[str | None, int] | None:
    row = await app.state.pool.fetchrow(
        "SELECT level, version FROM items WHERE id = $1", UUID(item_id)
    )
    return (row["level"], row["version"]) if row else None


async def history(app: Any, item_id: str) -> list[Any]:
    return list(
        await app.state.pool.fetch(
            "SELECT level, previous_level, rule_version, started_at, ended_at FROM level_history"
            " WHERE item_id = $1 ORDER BY id",
            UUID(item_id),
        )
    )


async def changes(app: Any, item_id: str) -> list[dict[str, Any]]:
    rows = await app.state.pool.fetch(
        "SELECT payload FROM outbox WHERE subject = 'alerts.level.changed'"
        " AND payload->>'aggregate_id' = $1 ORDER BY seq",
        item_id,
    )
    return [r["payload"] for r in rows]


async def test_events_recolour_the_item_and_record_history(alerts: tuple[Any, Any]) -> None:
    app, _ = alerts
    js = app.state.js
    CLOCK[0] = at("2018-06-15")
    item = make_snapshot()  # plan: 60% on 15 June; nothing reported yet

    await publish(js, t.ItemCreated, item, 1)

    async def is_(level: str | None, version: int) -> bool:
        return await level_of(app, item.id) == (level, version)

    await wait_for(lambda: is_("YELLOW", 1))  # 0 + 10 < 60, and 10 idle days is not > 10

    reported = with_progress(item, 55, at("2018-06-15", 9))
    await publish(js, t.ItemProgressReported, reported, 2)
    await wait_for(lambda: is_("GREEN", 2))

    # an older version arriving late changes nothing
    await publish(js, t.ItemSigned, item, 1)
    done = reported.model_copy(update={"state": "COMPLETED"})
    await publish(js, t.ItemCompleted, done, 3)
    await wait_for(lambda: is_(None, 3))

    periods = await history(app, item.id)
    assert [(p["level"], p["previous_level"]) for p in periods] == [
        ("YELLOW", None),
        ("GREEN", "YELLOW"),
    ]
    assert all(p["ended_at"] is not None for p in periods)  # no colour once completed
    assert all(p["rule_version"] == 1 for p in periods)  # the seeded DEFAULT settings
    events = await changes(app, item.id)
    assert [(e["data"]["previous_level"], e["data"]["level"]) for e in events] == [
        (None, "YELLOW"),
        ("YELLOW", "GREEN"),
        ("GREEN", None),
    ]
    assert [e["aggregate_version"] for e in events] == [1, 2, 3]
    assert events[0]["data"]["unit_ids"] == [item.lead_unit_id]
    assert events[0]["data"]["code"] == item.code


async def test_progress_without_gain_does_not_reset_the_stall_window(
    alerts: tuple[Any, Any],
) -> None:
    app, _ = alerts
    js = app.state.js
    CLOCK[0] = at("2018-06-04")
    item = with_progress(make_snapshot(plan_nodes=[]), 30, at("2018-06-04", 9))
    await publish(js, t.ItemProgressReported, item, 1)
    await wait_for(lambda: level_of(app, item.id))
    # same percent reported again much later: still no gain since 4 June
    CLOCK[0] = at("2018-06-20")
    await publish(js, t.ItemProgressReported, with_progress(item, 30, at("2018-06-20", 9)), 2)

    async def blue() -> bool:
        return await level_of(app, item.id) == ("BLUE", 2)

    await wait_for(blue)
    # a real gain turns it back
    await publish(js, t.ItemProgressReported, with_progress(item, 80, at("2018-06-20", 11)), 3)

    async def green() -> bool:
        return await level_of(app, item.id) == ("GREEN", 3)

    await wait_for(green)


async def test_sweep_recolours_as_time_passes_and_only_one_replica_runs(
    alerts: tuple[Any, Any], settings: Settings
) -> None:
    app, _ = alerts
    CLOCK[0] = at("2018-06-01")
    items = [make_snapshot(deadline=date(2018, 6, 8), plan_nodes=[]) for _ in range(30)]
    async with app.state.pool.acquire() as conn, conn.transaction():
        for item in items:
            await service.project_item(conn, item, 1, CLOCK[0])
            await service.reevaluate(conn, UUID(item.id), CLOCK[0])
    assert {await level_of(app, i.id) for i in items} == {("GREEN", 1)}

    later = at("2018-06-11")  # past the 8 June deadline: RED
    dsn = settings.require_database_url()
    replica_a = await create_pool(dsn, "alerts", 1, 3)
    replica_b = await create_pool(dsn, "alerts", 1, 3)
    try:
        a_started, release = asyncio.Event(), asyncio.Event()

        async def slow_sweep_a() -> None:
            a_started.set()
            await release.wait()
            await sweep(replica_a, later, batch_size=7)

        a = asyncio.create_task(run_exclusive(replica_a, SWEEP_JOB, slow_sweep_a))
        await a_started.wait()
        ran_b = await run_exclusive(replica_b, SWEEP_JOB, lambda: sweep(replica_b, later))
        release.set()
        assert await a is True
        assert ran_b is False
        # once A is done, B may run; nothing is left to change
        result: list[Any] = []

        async def sweep_b() -> None:
            result.append(await sweep(replica_b, later))

        assert await run_exclusive(replica_b, SWEEP_JOB, sweep_b) is True
        # everything A evaluated is not due again before its recheck day
        assert result[0].changed == 0 and result[0].items == 0
        full = await sweep(replica_b, later, full=True)
        assert full.changed == 0 and full.items >= 30
    finally:
        await replica_a.close()
        await replica_b.close()

    for item in items:
        assert await level_of(app, item.id) == ("RED", 1)
        periods = await history(app, item.id)
        assert [(p["level"], p["ended_at"] is None) for p in periods] == [
            ("GREEN", False),
            ("RED", True),
        ]
        assert periods[1]["started_at"] == later
        assert len(await changes(app, item.id)) == 2


async def test_due_sweep_waits_for_the_recheck_day(alerts: tuple[Any, Any]) -> None:
    app, _ = alerts
    CLOCK[0] = at("2018-02-12")
    # weekly, 2 cycles, last gain Fri 9 Feb: BLUE from Thu 1 March (Spring Festival skipped)
    item = with_progress(
        make_snapshot(
            start_date=date(2018, 2, 1),
            deadline=date(2018, 12, 31),
            original_deadline=date(2018, 12, 31),
            plan_nodes=[],
        ),
        90,
        at("2018-02-09"),
    )
    async with app.state.pool.acquire() as conn, conn.transaction():
        await service.project_item(conn, item, 1, CLOCK[0])
        await service.reevaluate(conn, UUID(item.id), CLOCK[0])
    due = await app.state.pool.fetchval("SELECT recheck_on FROM items WHERE id = $1", UUID(item.id))
    assert due == date(2018, 3, 1)
    await sweep(app.state.pool, at("2018-02-28"))
    assert await level_of(app, item.id) == ("GREEN", 1)
    await sweep(app.state.pool, at("2018-03-01"))
    assert await level_of(app, item.id) == ("BLUE", 1)


async def test_sweep_skips_rows_a_consumer_changed_meanwhile(alerts: tuple[Any, Any]) -> None:
    app, _ = alerts
    from services.alerts.colour import store

    CLOCK[0] = at("2018-06-04")
    item = make_snapshot(plan_nodes=[])
    async with app.state.pool.acquire() as conn, conn.transaction():
        await service.project_item(conn, item, 1, CLOCK[0])
        await service.reevaluate(conn, UUID(item.id), CLOCK[0])
        # a sweep read version 0 and wants RED, but version 1 has landed since
        stale = (UUID(item.id), "RED", "x", 1, 0, 1, None, None, date(9999, 12, 31))
        changed = await store.apply_level_changes(conn, [stale], at("2018-07-02"))
    assert changed == []
    assert await level_of(app, item.id) == ("GREEN", 1)


RULES = """{ alertRules { source lagTolerance stallCycles version } }"""
SET_RULE = """
mutation($input: AlertRuleSetInput!) { alertRuleSet(input: $input) {
  __typename ... on AlertRuleSetSuccess { rule { source lagTolerance stallCycles version } }
  ... on UserError { code field } } }"""


async def test_rule_settings_are_versioned_and_office_only(
    alerts: tuple[Any, GraphQLClient], settings: Settings
) -> None:
    app, client = alerts
    data = await client(RULES)
    assert {r["source"] for r in data["alertRules"]} >= {"DEFAULT"}

    bad = await client(
        SET_RULE, {"input": {"source": "KEY_WORK", "lagTolerance": 101, "stallCycles": 2}}
    )
    assert bad["alertRuleSet"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "field": "lagTolerance",
    }

    supervisor = client.as_(token(settings, "UNIT_SUPERVISOR", units=[]))
    body = await supervisor.raw(
        SET_RULE, {"input": {"source": "KEY_WORK", "lagTolerance": 0, "stallCycles": 2}}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    ok = await client(
        SET_RULE, {"input": {"source": "KEY_WORK", "lagTolerance": 0, "stallCycles": 2}}
    )
    rule = ok["alertRuleSet"]["rule"]
    assert rule["lagTolerance"] == 0 and rule["version"] > 1

    # an item 55% on a 60% node is GREEN with tolerance 10 but YELLOW with 0
    CLOCK[0] = at("2018-06-15")
    item = with_progress(make_snapshot(source="KEY_WORK"), 55, at("2018-06-15", 9))
    other = with_progress(make_snapshot(source="OTHER"), 55, at("2018-06-15", 9))
    # as a consumer does: the rules in force come back with the facts the upsert wrote
    item_event = with_progress(make_snapshot(source="KEY_WORK"), 55, at("2018-06-15", 9))
    other_event = with_progress(make_snapshot(source="OTHER"), 55, at("2018-06-15", 9))
    async with app.state.pool.acquire() as conn, conn.transaction():
        for i in (item, other):
            await service.project_item(conn, i, 1, CLOCK[0])
            await service.reevaluate(conn, UUID(i.id), CLOCK[0])
        for i in (item_event, other_event):
            facts = await service.project_item(conn, i, 1, CLOCK[0])
            await service.reevaluate(conn, UUID(i.id), CLOCK[0], facts)
    for i, o in ((item, other), (item_event, other_event)):
        assert await level_of(app, i.id) == ("YELLOW", 1)
        assert await level_of(app, o.id) == ("GREEN", 1)
        assert (await history(app, i.id))[0]["rule_version"] == rule["version"]
        assert (await history(app, o.id))[0]["rule_version"] == 1

    await client(SET_RULE, {"input": {"source": "KEY_WORK", "lagTolerance": 10, "stallCycles": 2}})
    await sweep(app.state.pool, CLOCK[0])
    assert await level_of(app, item.id) == ("GREEN", 1)


READ = """
query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on SupervisionItem { id alert { level reason since ruleVersion plannedPercent
        reportedPercent history { level previousLevel startedAt endedAt ruleVersion }
        timeInLevels { level seconds } } }
  ... on Unit { id alertCounts { level count } } } }"""

BIG_SCREEN = """
query($unit: ID) {
  alertCounts(unitId: $unit) { level count }
  alertCountsByUnit { unit { id } counts { level count } stalledSince }
  alertCountsBySource { source counts { level count } }
  newestRedItems(limit: 5) { code level since item { id } }
  longestStalledItems(limit: 5, unitId: $unit) { code level since }
}"""


async def test_graphql_alert_counts_and_big_screen_lists(
    alerts: tuple[Any, GraphQLClient], settings: Settings
) -> None:
    app, client = alerts
    unit = "5d2a0d63-3a5e-4d4c-9d36-000000000001"
    CLOCK[0] = at("2018-06-15")
    stalled = make_snapshot(lead_unit_id=unit, plan_nodes=[], start_date=date(2018, 5, 2))
    red = make_snapshot(
        lead_unit_id=unit, deadline=date(2018, 6, 1), start_date=date(2018, 5, 2), plan_nodes=[]
    )
    green = with_progress(make_snapshot(lead_unit_id=unit), 70, at("2018-06-15", 9))
    async with app.state.pool.acquire() as conn, conn.transaction():
        for i in (stalled, red, green):
            await service.project_item(conn, i, 1, CLOCK[0])
            await service.reevaluate(conn, UUID(i.id), CLOCK[0])

    data = await client(
        READ,
        {
            "reps": [
                {"__typename": "SupervisionItem", "id": red.id},
                {"__typename": "SupervisionItem", "id": "00000000-0000-0000-0000-000000000000"},
                {"__typename": "Unit", "id": unit},
            ]
        },
    )
    first, missing, unit_row = data["_entities"]
    assert first["alert"]["level"] == "RED"
    assert first["alert"]["history"][0]["level"] == "RED"
    assert first["alert"]["history"][0]["endedAt"] is None
    assert first["alert"]["timeInLevels"] == [{"level": "RED", "seconds": 0}]
    CLOCK[0] += timedelta(hours=5)  # time in a colour runs on the service's clock
    later = await client(READ, {"reps": [{"__typename": "SupervisionItem", "id": red.id}]})
    assert later["_entities"][0]["alert"]["timeInLevels"] == [{"level": "RED", "seconds": 18000}]
    assert missing["alert"] is None
    assert {c["level"]: c["count"] for c in unit_row["alertCounts"]} == {
        "RED": 1,
        "BLUE": 1,
        "YELLOW": 0,
        "GREEN": 1,
    }

    screen = await client(BIG_SCREEN, {"unit": unit})
    assert {c["level"]: c["count"] for c in screen["alertCounts"]} == {
        "RED": 1,
        "BLUE": 1,
        "YELLOW": 0,
        "GREEN": 1,
    }
    by_unit = {u["unit"]["id"]: u for u in screen["alertCountsByUnit"]}
    # the unit's longest-stalled item: stalled since the BLUE item's colour began
    assert by_unit[unit]["stalledSince"] == screen["longestStalledItems"][0]["since"]
    assert "KEY_WORK" in {s["source"] for s in screen["alertCountsBySource"]}
    assert screen["newestRedItems"][0]["level"] == "RED"
    assert [s["code"] for s in screen["longestStalledItems"]] == [stalled.code]

    # a unit's own people only count their own units
    outsider = client.as_(
        token(settings, "UNIT_HEAD", units=["5d2a0d63-3a5e-4d4c-9d36-000000000002"])
    )
    theirs = await outsider(BIG_SCREEN, {"unit": unit})
    assert all(c["count"] == 0 for c in theirs["alertCounts"])
    assert theirs["longestStalledItems"] == []


FILTERED = """
query($levels: [AlertLevel!]!, $unit: ID, $sources: [ItemSource!], $year: Int) {
  alertedItems(levels: $levels, unitId: $unit, sources: $sources, year: $year, first: 50) {
    code level item { id } }
}"""


async def test_alerted_items_filters_by_colour_unit_source_and_year_on_the_server(
    alerts: tuple[Any, GraphQLClient], settings: Settings
) -> None:
    app, client = alerts
    # units of their own: other tests' items share the database
    unit = "5d2a0d63-3a5e-4d4c-9d36-000000000011"
    other_unit = "5d2a0d63-3a5e-4d4c-9d36-000000000012"
    CLOCK[0] = at("2018-06-15")
    red = make_snapshot(
        lead_unit_id=unit, deadline=date(2018, 6, 1), start_date=date(2018, 5, 2), plan_nodes=[]
    )
    red_other = make_snapshot(
        lead_unit_id=other_unit,
        source="OTHER",
        deadline=date(2018, 6, 1),
        start_date=date(2017, 5, 2),
        plan_nodes=[],
    )
    green = with_progress(make_snapshot(lead_unit_id=unit), 70, at("2018-06-15", 9))
    async with app.state.pool.acquire() as conn, conn.transaction():
        for i in (red, red_other, green):
            await service.project_item(conn, i, 1, CLOCK[0])
            await service.reevaluate(conn, UUID(i.id), CLOCK[0])

    async def codes(**variables: Any) -> set[str]:
        data = await client(FILTERED, {"levels": ["RED"], **variables})
        return {r["code"] for r in data["alertedItems"]}

    mine = {red.code, red_other.code, green.code}
    assert await codes() & mine == {red.code, red_other.code}
    assert await codes(unit=unit) == {red.code}
    assert await codes(sources=["OTHER"]) & mine == {red_other.code}
    assert await codes(year=2017) & mine == {red_other.code}
    both = await client(FILTERED, {"levels": ["RED", "GREEN"], "unit": unit})
    assert {(r["code"], r["level"]) for r in both["alertedItems"]} == {
        (red.code, "RED"),
        (green.code, "GREEN"),
    }
    # a unit's people read only their own unit's items
    outsider = client.as_(token(settings, "UNIT_HEAD", units=[other_unit]))
    theirs = await outsider(FILTERED, {"levels": ["RED"]})
    assert {r["code"] for r in theirs["alertedItems"]} == {red_other.code}


async def test_rebuild_replays_the_stream_without_new_colour_events(
    alerts: tuple[Any, Any],
) -> None:
    app, _ = alerts
    js = app.state.js
    CLOCK[0] = at("2018-06-15")
    item = make_snapshot()
    await publish(js, t.ItemCreated, item, 1)
    await publish(js, t.ItemProgressReported, with_progress(item, 55, at("2018-06-15", 9)), 2)

    async def projected() -> bool:
        return await level_of(app, item.id) == ("GREEN", 2)

    await wait_for(projected)
    pool = app.state.pool
    before = await pool.fetch("SELECT id, version, level, units FROM items ORDER BY id")
    outbox_before = await pool.fetchval("SELECT count(*) FROM outbox")
    await pool.execute(
        "UPDATE items SET units = '[]', deadline = '2000-01-01' WHERE id = $1", UUID(item.id)
    )

    await pool.execute(
        "INSERT INTO aggregate_versions VALUES ('tasks:person-not-an-item', 7) ON CONFLICT DO NOTHING"
    )

    result = await rebuild(pool, js, CLOCK[0])

    # version markers of people and units (not items) are left alone
    assert (
        await pool.fetchval(
            "SELECT version FROM aggregate_versions WHERE aggregate_id = 'tasks:person-not-an-item'"
        )
        == 7
    )

    after = await pool.fetch("SELECT id, version, level, units FROM items ORDER BY id")
    event_built = {r["id"] for r in before if r["version"] > 0}
    assert result.items >= 1 and result.events >= 2
    got = {r["id"]: r for r in after}
    for r in before:
        if r["id"] in got and r["id"] in event_built:
            assert got[r["id"]]["units"] == r["units"]
    assert got[UUID(item.id)]["level"] == "GREEN"
    assert result.sweep is not None and result.sweep.changed == 0
    # colours are the same as before, so no new events (no reminders replayed)
    assert (
        await pool.fetchval("SELECT count(*) FROM outbox") == outbox_before + result.sweep.changed
    )


async def test_rebuild_command_line(alerts: tuple[Any, Any], settings: Settings) -> None:
    from services.alerts.cli import rebuild_command
    from services.cli import build_parser

    assert build_parser().parse_args(["alerts-rebuild"]).func.__name__ == "cmd_alerts_rebuild"
    out = await rebuild_command(settings)
    assert out.startswith("alerts: rebuilt ") and "0 colour change(s)" in out


async def test_a_transfer_moves_the_colour_to_the_new_unit(alerts: tuple[Any, Any]) -> None:
    """转办: the transferred assignment stays in the snapshot as history, is not
    coloured, and the item now counts for the new unit only."""
    app, _ = alerts
    js = app.state.js
    CLOCK[0] = at("2018-07-02")
    item = make_snapshot()  # overdue: RED
    await publish(js, t.ItemCreated, item, 1)
    await wait_for(lambda: _level_is(app, item.id, "RED", 1))
    new_unit = str(uuid4())
    moved = item.model_copy(
        update={
            "lead_unit_id": new_unit,
            "assignments": [
                item.assignments[0].model_copy(update={"state": "TRANSFERRED"}),
                t.AssignmentSnapshot(unit_id=new_unit, role="LEAD", state="ASSIGNED"),
            ],
        }
    )
    env = t.ItemTransferred(
        item=moved,
        detail={"from_unit_id": item.lead_unit_id, "to_unit_id": new_unit, "reason": "转办"},
    ).envelope(item.id, 2)
    await js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})
    await wait_for(lambda: _level_is(app, item.id, "RED", 2))
    row = await app.state.pool.fetchrow(
        "SELECT unit_ids, units FROM items WHERE id = $1", UUID(item.id)
    )
    assert [str(u) for u in row["unit_ids"]] == [new_unit]
    assert [u["unit_id"] for u in row["units"]] == [new_unit]


async def _level_is(app: Any, item_id: str, level: str, version: int) -> bool:
    return await level_of(app, item_id) == (level, version)
