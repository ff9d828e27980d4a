"""Demo data: a whole district through the use-cases, deterministic for a seed."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from services.cli import main
from services.core.db import connect
from services.core.settings import Settings
from services.tasks.audit.service import verify_chain
from services.tasks.demo import loader as demo


async def _fresh(settings: Settings) -> str:
    admin_dsn = settings.require_database_url()
    name = f"demo_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return admin_dsn.rsplit("/", 1)[0] + f"/{name}"


async def _summary(dsn: str) -> dict[str, Any]:
    conn = await connect(dsn, "tasks")
    try:
        return {
            "units": await conn.fetchval("SELECT count(*) FROM units"),
            "people": await conn.fetchval("SELECT count(*) FROM people"),
            "items": [
                tuple(r)
                for r in await conn.fetch(
                    "SELECT code, title, state, start_date, deadline, original_deadline"
                    " FROM items ORDER BY code"
                )
            ],
            "events": {
                r["subject"]: r["n"]
                for r in await conn.fetch(
                    "SELECT subject, count(*) AS n FROM outbox GROUP BY subject"
                )
            },
            "audit": await verify_chain(conn),
            "notices": await conn.fetchval("SELECT count(*) FROM notices"),
            "acknowledged": await conn.fetchval(
                "SELECT count(*) FROM notice_recipients WHERE acknowledged_at IS NOT NULL"
            ),
            "reports": await conn.fetchval("SELECT count(*) FROM progress_reports"),
            "extensions": await conn.fetchval(
                "SELECT count(*) FROM extensions WHERE state = 'APPROVED'"
            ),
            "overdue": await conn.fetchval(
                "SELECT count(*) FROM items WHERE deadline < $1"
                " AND state NOT IN ('COMPLETED', 'CANCELLED', 'SUSPENDED')",
                demo.AS_OF,
            ),
        }
    finally:
        await conn.close()


async def test_same_seed_same_district_and_every_step_is_an_event(settings: Settings) -> None:
    a, b, c = await _fresh(settings), await _fresh(settings), await _fresh(settings)
    assert await demo.is_empty(a)
    await demo.load(a, seed=7, progress=False, scale=0.04)
    await demo.load(b, seed=7, progress=False, scale=0.04)
    await demo.load(c, seed=8, progress=False, scale=0.04)
    assert not await demo.is_empty(a)
    first, second, other = await _summary(a), await _summary(b), await _summary(c)
    assert first["items"] == second["items"] and first["events"] == second["events"]
    assert first["items"] != other["items"]
    assert first["units"] == 90 and 650 <= first["people"] <= 750
    assert first["events"]["tasks.item.created"] == len(first["items"])
    assert first["events"]["tasks.unit.upserted"] == 90
    assert first["audit"].ok and first["audit"].checked > len(first["items"])


@pytest.mark.timeout(600)
async def test_the_whole_district_loads(settings: Settings) -> None:
    dsn = await _fresh(settings)
    await demo.load(dsn, progress=False)
    s = await _summary(dsn)
    items = s["items"]
    assert 2100 <= len(items) <= 2300
    assert {i[0][:7] for i in items} == {"DB-2017", "DB-2018"}
    assert min(i[3] for i in items).year == 2017 and max(i[3] for i in items) <= demo.AS_OF
    states: dict[str, int] = {}
    for i in items:
        states[i[2]] = states.get(i[2], 0) + 1
    assert states["COMPLETED"] > len(items) // 2
    assert {"IN_PROGRESS", "COMPLETION_REQUESTED", "CANCELLED", "SUSPENDED"} <= set(states)
    assert s["overdue"] > 20 and s["notices"] > 20 and s["extensions"] > 20
    assert 0 < s["acknowledged"] < 4 * s["notices"]
    assert s["reports"] > 2 * len(items)
    assert any(i[4] != i[5] for i in items)  # extended deadlines keep the original
    for subject in (
        "tasks.item.signed",
        "tasks.item.progress_reported",
        "tasks.item.completion_requested",
        "tasks.item.completed",
        "tasks.item.extension_decided",
        "tasks.item.deadline_changed",
        "tasks.item.notice_issued",
        "tasks.item.chased",
        "tasks.item.instruction_added",
        "tasks.item.returned",
        "tasks.item.sent_back",
        "tasks.item.cancelled",
        "tasks.item.suspended",
    ):
        assert s["events"].get(subject, 0) > 0, subject
    assert s["audit"].ok, s["audit"].describe()


async def test_demo_command_loads_once(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = await _fresh(settings)
    await asyncio.to_thread(main, ["demo", "--database-url", dsn, "--scale", "0.01", "--seed", "3"])
    assert "demo district loaded: 90 units" in capsys.readouterr().out
    summary = await _summary(dsn)
    assert len(summary["items"]) == 22
    with pytest.raises(SystemExit) as exit_info:
        await asyncio.to_thread(main, ["demo", "--database-url", dsn])
    assert exit_info.value.code == 1
    assert len((await _summary(dsn))["items"]) == 22
