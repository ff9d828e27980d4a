"""Reminders by themselves: the alerts service in-process, tasks events published to
JetStream, the clock moved, and loopback WeCom / SMTP servers receiving the messages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from services.alerts.colour.jobs import sweep
from services.alerts.reminders import service as service_reminders
from services.contracts import tasks as ev
from services.core import clock
from services.core.bus import connect_nats
from services.core.settings import Settings
from tests.alerts.fakes import FakeSMTP, FakeWeCom
from tests.support.servers import GraphQLClient, running_service, token, wait_for

LEAD, CO = str(uuid.uuid4()), str(uuid.uuid4())
P = {
    name: str(uuid.uuid4())
    for name in ("head", "sup", "co_head", "co_sup", "owner", "leader", "mayor")
}
PEOPLE = [
    ev.PersonUpserted(
        id=P["head"], name="赵书记", unit_id=LEAD, mobile="13800000001", roles=["UNIT_HEAD"]
    ),
    ev.PersonUpserted(
        id=P["sup"],
        name="李督查员",
        unit_id=LEAD,
        mobile="13800000002",
        wecom_user_id="lijunwei",
        email="li@example.gov.cn",
        roles=["UNIT_SUPERVISOR"],
    ),
    ev.PersonUpserted(id=P["co_head"], name="钱书记", unit_id=CO, roles=["UNIT_HEAD"]),
    ev.PersonUpserted(
        id=P["co_sup"],
        name="孙督查员",
        unit_id=CO,
        email="sun@example.gov.cn",
        roles=["UNIT_SUPERVISOR"],
    ),
    ev.PersonUpserted(
        id=P["owner"], name="王具体负责人", unit_id=LEAD, wecom_user_id="wangwu", roles=["CADRE"]
    ),
    ev.PersonUpserted(
        id=P["leader"], name="周分包领导", wecom_user_id="zhoulead", roles=["LEADER"]
    ),
    ev.PersonUpserted(id=P["mayor"], name="吴区长", wecom_user_id="wumayor", roles=["LEADER"]),
]
UNITS = [
    ev.UnitUpserted(
        id=LEAD,
        code="JSY",
        name="金水源街道",
        kind="STREET",
        category="街道",
        wecom_robot_key="robot-lead",
    ),
    ev.UnitUpserted(id=CO, code="CJJ", name="区城建局", kind="DEPARTMENT", category="区直部门"),
]
ITEM_ID = str(uuid.uuid4())
MOBILE = "https://ducha.example.gov.cn/m"


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


def item_snapshot(version_state: str = "ASSIGNED") -> ev.ItemSnapshot:
    return ev.ItemSnapshot(
        id=ITEM_ID,
        code="DB-2018-0001",
        title="市政重点工程",
        source="KEY_WORK",
        start_date=date(2018, 3, 1),
        deadline=date(2018, 6, 29),
        original_deadline=date(2018, 6, 29),
        reporting_cycle="WEEKLY",
        state=version_state,
        lead_unit_id=LEAD,
        co_unit_ids=[CO],
        responsible_leader_id=P["leader"],
        owner_ids=[P["owner"]],
        assignments=[
            ev.AssignmentSnapshot(unit_id=LEAD, role="LEAD"),
            ev.AssignmentSnapshot(unit_id=CO, role="CO"),
        ],
    )


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSMTP]:
    fake = FakeSMTP().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest_asyncio.fixture(scope="module")
async def alerts(
    settings: Settings, wecom: FakeWeCom, smtp: FakeSMTP
) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    config = settings.model_copy(
        update={
            "wecom_api_base": wecom.base,
            "wecom_robot_base": wecom.robot_url,
            "wecom_corp_id": wecom.corp_id,
            "wecom_corp_secret": wecom.corp_secret,
            "wecom_agent_id": 1000002,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "delivery_interval_seconds": 0.2,
            "mobile_base_url": MOBILE,
            "reminder_scan_seconds": 3600,
            "sweep_interval_seconds": 3600,
        }
    )
    clock.set_clock(lambda: shanghai("2018-06-13"))
    try:
        async with running_service("alerts", config) as (app, client):
            for u in UNITS:
                await publish(app, u.envelope(u.id, 1))
            for p in PEOPLE:
                await publish(app, p.envelope(p.id, 1))
            yield app, client
    finally:
        clock.set_clock(None)


async def publish(app: Any, env: Any) -> None:
    """Publish as the tasks service would (its own connection: the app's drains cleanly)."""
    nc = await connect_nats(app.state.settings.require_nats_url(), "test-publisher")
    try:
        await nc.jetstream().publish(
            env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)}
        )
    finally:
        await nc.close()


async def rows(app: Any, where: str = "true", *args: Any) -> list[asyncpg.Record]:
    async with app.state.pool.acquire() as conn:
        return await conn.fetch(f"SELECT * FROM notifications WHERE {where} ORDER BY id", *args)


async def settled(app: Any) -> list[asyncpg.Record]:
    """Every notification row once nothing is pending any more."""

    async def done() -> list[asyncpg.Record] | None:
        found = await rows(app)
        return (
            found
            if found and all(r["state"] not in ("PENDING", "SENDING") for r in found)
            else None
        )

    return await wait_for(done)


def wecom_app_sent(wecom: FakeWeCom) -> list[tuple[str, str, str | None]]:
    """(member, text, 去汇报 link) of every WeCom application message, text or card."""
    sent: list[tuple[str, str, str | None]] = [
        (m["touser"], m["text"]["content"], None) for m in wecom.app_messages
    ]
    for m in wecom.card_messages:
        card = m["template_card"]
        assert card["card_type"] == "text_notice"
        [jump] = card["jump_list"]
        assert jump["title"] == "去汇报" and card["card_action"]["url"] == jump["url"]
        sent.append((m["touser"], card["sub_title_text"], jump["url"]))
    return sent


def recipients_of(found: list[asyncpg.Record], kind: str, channel: str) -> set[str]:
    names = {v: k for k, v in P.items()}
    return {
        names.get(str(r["person_id"]), str(r["unit_id"]))
        for r in found
        if r["kind"] == kind and r["channel"] == channel
    }


async def test_reminders_follow_the_item_from_blue_to_red(
    alerts: tuple[Any, GraphQLClient], wecom: FakeWeCom, smtp: FakeSMTP
) -> None:
    app, _client = alerts

    async def people_projected() -> bool:
        async with app.state.pool.acquire() as conn:
            return await conn.fetchval("SELECT count(*) FROM people") == len(PEOPLE)

    await wait_for(people_projected)
    await publish(app, ev.ItemAssigned(item=item_snapshot()).envelope(ITEM_ID, 1))

    # 1. no report since 03-01 → BLUE; the colour change reaches the item's people
    async def blue_sent() -> list[asyncpg.Record] | None:
        found = await rows(app, "kind = 'LEVEL_CHANGED'")
        return found if found and all(r["state"] == "SENT" for r in found) else None

    blue = await wait_for(blue_sent)
    assert "蓝色" in blue[0]["body"] and "请督查员报送进度（时限：2018-06-14）" in blue[0]["body"]
    assert recipients_of(blue, "LEVEL_CHANGED", "INBOX") == {
        "head",
        "sup",
        "co_head",
        "co_sup",
        "owner",
    }
    assert recipients_of(blue, "LEVEL_CHANGED", "WECOM_APP") == {"sup", "owner"}
    assert recipients_of(blue, "LEVEL_CHANGED", "EMAIL") == {"sup", "co_sup"}
    assert recipients_of(blue, "LEVEL_CHANGED", "WECOM_ROBOT") == {
        LEAD
    }  # only the lead has a robot
    [robot] = wecom.robot_messages
    assert robot["key"] == "robot-lead"
    assert set(robot["text"]["mentioned_mobile_list"]) == {"13800000001", "13800000002"}
    # the unit's people get it as a card whose 去汇报 opens the item's mobile report page
    report_page = f"{MOBILE}/items/{ITEM_ID}"
    assert not wecom.app_messages
    assert sorted((m, link) for m, _, link in wecom_app_sent(wecom)) == [
        ("lijunwei", report_page),
        ("wangwu", report_page),
    ]
    assert all("蓝色" in text for _, text, _ in wecom_app_sent(wecom))
    assert sorted(m.to[0] for m in smtp.messages) == ["li@example.gov.cn", "sun@example.gov.cn"]

    # 2. two working days before the deadline (06-27 → 06-29): the 3-day reminder, once
    clock.set_clock(lambda: shanghai("2018-06-27"))
    assert await service_reminders.scan(app.state.pool, app.state.settings, clock.now()) > 0
    assert await service_reminders.scan(app.state.pool, app.state.settings, clock.now()) == 0
    found = await settled(app)
    near = [r for r in found if r["kind"] == "DEADLINE_NEAR"]
    assert near and "还有2个工作日" in near[0]["body"]
    assert recipients_of(found, "DEADLINE_NEAR", "INBOX") >= {"leader", "head", "sup"}

    # 3. Friday 06-29 is the weekly due day and nobody reported: report reminders per unit
    clock.set_clock(lambda: shanghai("2018-06-29"))
    await service_reminders.scan(app.state.pool, app.state.settings, clock.now())
    found = await settled(app)
    assert recipients_of(found, "REPORT_DUE", "INBOX") == {"sup", "co_sup", "owner"}
    assert recipients_of(found, "DEADLINE_NEAR", "INBOX") >= {"leader"}  # the 1-day one too
    assert len({r["reason_key"] for r in found if r["kind"] == "DEADLINE_NEAR"}) == 2

    # 4. past the deadline: the sweep turns it RED; the leader hears about it too
    clock.set_clock(lambda: shanghai("2018-07-02"))
    await sweep(app.state.pool, clock.now())

    async def red_sent() -> list[asyncpg.Record] | None:
        found = await rows(app, "kind = 'LEVEL_CHANGED' AND body LIKE '%红色%'")
        return found if found and all(r["state"] == "SENT" for r in found) else None

    red = await wait_for(red_sent)
    assert recipients_of(red, "LEVEL_CHANGED", "WECOM_APP") == {"sup", "owner", "leader"}
    assert "逾期未办" in red[0]["body"]
    # the leader reports nothing: a text for him, cards for the unit's people
    red_app = [(m, link) for m, text, link in wecom_app_sent(wecom) if "红色" in text]
    assert sorted(red_app, key=str) == sorted(
        [("lijunwei", report_page), ("wangwu", report_page), ("zhoulead", None)], key=str
    )

    # 5. RED for two working days: daily chase, and escalation to the district leaders
    clock.set_clock(lambda: shanghai("2018-07-04"))
    before = len(await rows(app))
    # two replicas scanning at once: each reason is claimed by exactly one of them
    written = await asyncio.gather(
        service_reminders.scan(app.state.pool, app.state.settings, clock.now()),
        service_reminders.scan(app.state.pool, app.state.settings, clock.now()),
    )
    assert 0 in written and sum(written) > 0
    found = await settled(app)
    assert recipients_of(found, "RED_ESCALATION", "WECOM_APP") == {"leader", "mayor"}
    assert recipients_of(found, "RED_CHASE", "INBOX") == {
        "head",
        "sup",
        "co_head",
        "co_sup",
        "owner",
    }
    assert len(found) > before
    # never twice for the same reason and channel: every wire message is unique
    keys = [r["dedupe_key"] for r in found]
    assert len(keys) == len(set(keys))
    sent_app = wecom_app_sent(wecom)
    assert len(sent_app) == len(set(sent_app))
    chase = [(m, link) for m, text, link in sent_app if "【督查催办】" in text]
    assert sorted(chase) == [("lijunwei", report_page), ("wangwu", report_page)]


async def test_inbox_read_state_and_preferences(
    alerts: tuple[Any, GraphQLClient], settings: Settings
) -> None:
    _app, client = alerts
    me = client.as_(token(settings, "UNIT_SUPERVISOR", subject=P["sup"], units=[LEAD]))
    data = await me("{ inbox(first: 100) { id title body read channel kind } inboxUnreadCount }")
    assert data["inboxUnreadCount"] == len(data["inbox"]) > 0
    assert all(n["channel"] == "INBOX" and not n["read"] for n in data["inbox"])
    first = data["inbox"][0]["id"]
    marked = await me(
        "mutation($ids: [ID!]) { notificationMarkRead(input: {ids: $ids}) {"
        " __typename ... on NotificationMarkReadSuccess { marked unreadCount } } }",
        {"ids": [first]},
    )
    assert marked["notificationMarkRead"] == {
        "__typename": "NotificationMarkReadSuccess",
        "marked": 1,
        "unreadCount": data["inboxUnreadCount"] - 1,
    }
    # someone else's message is not found; another person's inbox is forbidden
    other = client.as_(token(settings, "CADRE", subject=P["owner"]))
    res = await other(
        "mutation($ids: [ID!]) { notificationMarkRead(input: {ids: $ids}) { __typename } }",
        {"ids": [first]},
    )
    assert res["notificationMarkRead"]["__typename"] == "NotFoundError"
    body = await other.raw("query($p: ID) { inbox(personId: $p) { id } }", {"p": P["sup"]})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the office sees anyone's inbox and the delivery log; others do not see the log
    office = await client("query($p: ID) { inboxUnreadCount(personId: $p) }", {"p": P["sup"]})
    assert office["inboxUnreadCount"] == data["inboxUnreadCount"] - 1
    body = await other.raw("{ notificationLog { id } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    everything = await me(
        "mutation { notificationMarkRead(input: {}) { ... on NotificationMarkReadSuccess { unreadCount } } }"
    )
    assert everything["notificationMarkRead"]["unreadCount"] == 0
    # preferences: switch e-mail off
    prefs = await me(
        "mutation { channelPreferencesUpdate(input: {email: false}) {"
        " ... on ChannelPreferencesUpdateSuccess { preferences { personId email wecomApp inbox } } } }"
    )
    assert prefs["channelPreferencesUpdate"]["preferences"] == {
        "personId": P["sup"],
        "email": False,
        "wecomApp": True,
        "inbox": True,
    }
    assert (await me("{ channelPreferences { email } }"))["channelPreferences"]["email"] is False


async def test_office_sees_dead_letters_and_resends(
    alerts: tuple[Any, GraphQLClient], wecom: FakeWeCom
) -> None:
    app, client = alerts
    wecom.script("robot-lead", 93000)
    # a colour change back to GREEN after a report: goes to the robot, which now fails
    clock.set_clock(lambda: shanghai("2018-07-05"))
    snap = item_snapshot().model_copy(
        update={
            "deadline": date(2018, 12, 28),
            "assignments": [
                ev.AssignmentSnapshot(
                    unit_id=u, role=r, percent=60, last_report_at=shanghai("2018-07-05", 9)
                )
                for u, r in ((LEAD, "LEAD"), (CO, "CO"))
            ],
        }
    )
    await publish(app, ev.ItemDeadlineChanged(item=snap).envelope(ITEM_ID, 2))

    async def dead() -> list[dict[str, Any]] | None:
        log = await client(
            "{ notificationLog(state: DEAD) { id channel state lastError attempts } }"
        )
        return log["notificationLog"] or None

    [row] = await wait_for(dead)
    assert row["channel"] == "WECOM_ROBOT" and "93000" in row["lastError"]
    resent = await client(
        "mutation($ids: [ID!]!) { notificationResend(input: {ids: $ids}) {"
        " __typename ... on NotificationResendSuccess { notifications { state attempts } } } }",
        {"ids": [row["id"]]},
    )
    assert resent["notificationResend"]["notifications"] == [{"state": "PENDING", "attempts": 0}]

    async def sent() -> bool:
        found = await rows(app, "id = $1", int(row["id"]))
        return found[0]["state"] == "SENT"

    await wait_for(sent)
    again = await client(
        "mutation($ids: [ID!]!) { notificationResend(input: {ids: $ids}) { __typename } }",
        {"ids": [row["id"]]},
    )
    assert again["notificationResend"]["__typename"] == "InvalidTransitionError"
    assert wecom.robot_messages[-1]["text"]["content"].count("恢复为绿色") == 1
    # the supervisor switched e-mail off (previous test): inbox and WeCom only
    green = await rows(app, "body LIKE '%恢复为绿色%'")
    assert recipients_of(green, "LEVEL_CHANGED", "INBOX") == {"sup", "co_sup", "owner"}
    assert recipients_of(green, "LEVEL_CHANGED", "EMAIL") == {"co_sup"}
