"""A supervision notice nobody acknowledges reminds its recipients after one working
day and escalates to the responsible leader and the unit heads after three; an
acknowledgement (tasks.notice.acknowledged) stops the recipient's reminder."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest_asyncio

from services.alerts.reminders.notices import scan_notices
from services.contracts import tasks as ev
from services.core import clock
from services.core.settings import Settings
from tests.alerts.reminders.test_reminders import publish
from tests.support.servers import GraphQLClient, running_service, wait_for

UNIT = str(uuid.uuid4())
P = {n: str(uuid.uuid4()) for n in ("head", "sup", "owner", "leader")}
ITEM = str(uuid.uuid4())
NOTICE = str(uuid.uuid4())


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


def snapshot() -> ev.ItemSnapshot:
    return ev.ItemSnapshot(
        id=ITEM,
        code="DB-2018-0099",
        title="市政重点工程",
        source="KEY_WORK",
        start_date=date(2018, 6, 1),
        deadline=date(2018, 9, 30),
        original_deadline=date(2018, 9, 30),
        state="IN_PROGRESS",
        lead_unit_id=UNIT,
        responsible_leader_id=P["leader"],
        owner_ids=[P["owner"]],
        assignments=[ev.AssignmentSnapshot(unit_id=UNIT, role="LEAD", state="SIGNED")],
    )


@contextlib.asynccontextmanager
async def notice_world(settings: Settings) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    """The alerts service in process on Monday 2018-06-11, with 金水源街道 and its head,
    supervisor and cadre, and a leader: (app, its GraphQL client)."""
    config = settings.model_copy(
        update={"reminder_scan_seconds": 3600, "sweep_interval_seconds": 3600}
    )
    clock.set_clock(lambda: shanghai("2018-06-11"))  # Monday
    try:
        async with running_service("alerts", config) as (app, client):
            unit = ev.UnitUpserted(
                id=UNIT, code="N1", name="金水源街道", kind="STREET", category="街道"
            )
            await publish(app, unit.envelope(UNIT, 1))
            for name, roles, unit_id in (
                ("head", ["UNIT_HEAD"], UNIT),
                ("sup", ["UNIT_SUPERVISOR"], UNIT),
                ("owner", ["CADRE"], UNIT),
                ("leader", ["LEADER"], None),
            ):
                person = ev.PersonUpserted(id=P[name], name=name, unit_id=unit_id, roles=roles)
                await publish(app, person.envelope(P[name], 1))
            yield app, client
    finally:
        clock.set_clock(None)


@pytest_asyncio.fixture(scope="module")
async def alerts(settings: Settings) -> AsyncIterator[Any]:
    async with notice_world(settings) as (app, _client):
        yield app


async def inbox(app: Any, kind: str) -> dict[str, list[str]]:
    rows = await app.state.pool.fetch(
        "SELECT person_id, body FROM notifications WHERE kind = $1 AND channel = 'INBOX'", kind
    )
    names = {v: k for k, v in P.items()}
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(names[str(r["person_id"])], []).append(r["body"])
    return out


async def test_unacknowledged_notice_reminds_then_escalates(alerts: Any) -> None:
    app = alerts

    async def ready() -> bool:
        return await app.state.pool.fetchval("SELECT count(*) FROM people") == len(P)

    await wait_for(ready)
    issued = ev.ItemNoticeIssued(
        item=snapshot(),
        detail={
            "notice_id": NOTICE,
            "code": "督通〔2018〕7号",
            "response_deadline": "2018-06-15",
            "recipients": [
                {"person_id": P["sup"], "role": "UNIT_SUPERVISOR"},
                {"person_id": P["owner"], "role": "OWNER"},
            ],
        },
    )
    await publish(app, issued.envelope(ITEM, 1, occurred_at=shanghai("2018-06-11", 9)))

    async def watched() -> bool:
        n = await app.state.pool.fetchval("SELECT count(*) FROM notice_recipients")
        level = await app.state.pool.fetchval(
            "SELECT version FROM items WHERE id = $1", uuid.UUID(ITEM)
        )
        return n == 2 and level == 1

    await wait_for(watched)
    assert await scan_notices(app.state.pool, shanghai("2018-06-11", 17)) == 0  # same day
    # the owner acknowledges on Monday evening
    ack = ev.NoticeAcknowledged(
        notice_id=NOTICE,
        item_id=ITEM,
        code="督通〔2018〕7号",
        person_id=P["owner"],
        acknowledged_at=shanghai("2018-06-11", 18),
        remaining=1,
    )
    await publish(app, ack.envelope(NOTICE, 2))

    async def acknowledged() -> bool:
        return (
            await app.state.pool.fetchval(
                "SELECT count(*) FROM notice_recipients WHERE acknowledged_at IS NOT NULL"
            )
            == 1
        )

    await wait_for(acknowledged)
    # Tuesday: one working day passed → the supervisor (not the owner) is reminded
    assert await scan_notices(app.state.pool, shanghai("2018-06-12")) > 0
    got = await inbox(app, "NOTICE_UNACKED")
    assert set(got) == {"sup"}
    assert got["sup"][0] == (
        "【督查提醒】金水源街道：DB-2018-0099“市政重点工程”的督查通知单督通〔2018〕7号尚未签阅，"
        "请及时签阅（时限：2018-06-15）。"
    )
    assert await scan_notices(app.state.pool, shanghai("2018-06-13")) == 0  # once
    assert not await inbox(app, "NOTICE_ESCALATION")
    # Thursday: three working days → the leader and the unit head hear of it, once
    assert await scan_notices(app.state.pool, shanghai("2018-06-14")) > 0
    esc = await inbox(app, "NOTICE_ESCALATION")
    assert set(esc) == {"leader", "head"}
    assert "已3个工作日无人签阅" in esc["leader"][0]
    assert await scan_notices(app.state.pool, shanghai("2018-06-15")) == 0
