"""End to end through the real gateway: an item assigned with a past start date gets no
report, turns BLUE and then RED, and the right people are reminded on the right channels.

The stack's processes talk to loopback servers that speak the WeCom (robot webhook,
gettoken, message/send) and SMTP contracts. Days pass by restarting the alerts process
with its clock moved forward (tests/e2e/alerts_clock.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.core.embedded import free_port
from services.core.settings import Settings
from services.stack import ROOT, Stack
from tests.alerts.fakes import FakeSMTP, FakeWeCom
from tests.support.servers import GraphQLClient, running_platform, token, wait_for

ROBOT_KEY = "e2e-robot-key"


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


def start_alerts(stack: Stack, offset_days: float) -> subprocess.Popen[bytes]:
    port = stack.service_ports.get("alerts") or free_port()
    stack.service_ports["alerts"] = port
    env = {**stack.env(), "DUCHA_TEST_CLOCK_OFFSET_DAYS": str(offset_days)}
    log = open(stack.data_dir / "alerts.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.alerts_clock", str(port), f"{stack.instance_id}:alerts"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stack.procs.append(proc)
    return proc


def restart_alerts(stack: Stack, proc: subprocess.Popen[bytes], offset_days: float) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()  # reminders are durable rows: a hard stop loses nothing
        proc.wait(5)
    stack.procs.remove(proc)
    start_alerts(stack, offset_days)
    stack.wait_ready(60)


@pytest.fixture(scope="module")
def stack(settings: Settings, wecom: FakeWeCom, smtp: FakeSMTP) -> Iterator[Stack]:
    with running_platform(
        settings,
        services=("tasks", "evaluation"),
        start=lambda s: start_alerts(s, 0),
        OUTBOX_POLL_SECONDS="0.5",
        WECOM_API_BASE=wecom.base,
        WECOM_ROBOT_BASE=wecom.robot_url,
        WECOM_CORP_ID=wecom.corp_id,
        WECOM_CORP_SECRET=wecom.corp_secret,
        WECOM_AGENT_ID="1000002",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        DELIVERY_INTERVAL_SECONDS="0.3",
        REMINDER_SCAN_SECONDS="2",
    ) as s:
        yield s


UNIT = """mutation($input: UnitCreateInput!) { unitCreate(input: $input) {
  ... on UnitCreateSuccess { unit { id } } ... on UserError { code message } } }"""
PERSON = """mutation($input: PersonCreateInput!) { personCreate(input: $input) {
  ... on PersonCreateSuccess { person { id } } ... on UserError { code message } } }"""
ROBOT = """mutation($input: UnitRobotSetInput!) { unitRobotSet(input: $input) {
  __typename ... on UnitRobotSetSuccess { hasRobot } } }"""
ITEM = """mutation($input: ItemCreateInput!) { itemCreate(input: $input) {
  __typename ... on ItemCreateSuccess { item { id code } } ... on UserError { code message } } }"""
ALERT = "query($id: ID!) { item(id: $id) { alert { level reason } } }"
INBOX = "{ inbox(first: 50) { kind title body read itemId } inboxUnreadCount }"


def app_texts(wecom: FakeWeCom, user: str) -> list[str]:
    """What a member read over the WeCom application: texts and reminder cards' texts."""
    texts = [m["text"]["content"] for m in wecom.app_messages if m["touser"] == user]
    return texts + [c["sub_title_text"] for c in report_cards(wecom, user)]


def report_cards(wecom: FakeWeCom, user: str) -> list[dict[str, Any]]:
    return [c for c in wecom.cards(user) if c["card_type"] == "text_notice"]


async def test_unreported_item_turns_blue_then_red_and_people_are_reminded(
    stack: Stack, gateway: GraphQLClient, settings: Settings, wecom: FakeWeCom, smtp: FakeSMTP
) -> None:
    tag = uuid.uuid4().hex[:6]
    unit = await gateway(
        UNIT,
        {"input": {"code": f"R{tag}", "name": "金水源街道", "kind": "STREET", "category": "街道"}},
    )
    unit_id = unit["unitCreate"]["unit"]["id"]

    async def person(name: str, roles: list[str], **kw: str) -> str:
        data = await gateway(
            PERSON, {"input": {"name": name, "unitId": unit_id, "roles": roles, **kw}}
        )
        return str(data["personCreate"]["person"]["id"])

    head = await person("赵书记", ["UNIT_HEAD"], mobile="13900000001")
    sup = await person(
        "李督查员",
        ["UNIT_SUPERVISOR"],
        mobile="13900000002",
        wecomUserId=f"sup{tag}",
        email=f"li{tag}@example.gov.cn",
    )
    owner = await person("王具体负责人", ["CADRE"], wecomUserId=f"owner{tag}")
    leader = await person("周分包领导", ["LEADER"], wecomUserId=f"leader{tag}")
    await person("吴区长", ["LEADER"], wecomUserId=f"mayor{tag}")
    # a marker unit created last: once alerts knows it, it knows everyone created before
    marker = await gateway(
        UNIT,
        {"input": {"code": f"M{tag}", "name": "标记单位", "kind": "OTHER", "category": "其他"}},
    )

    async def projected(uid: str) -> bool:
        data = await gateway(ROBOT, {"input": {"unitId": uid, "wecomRobotKey": ROBOT_KEY}})
        return data["unitRobotSet"]["__typename"] == "UnitRobotSetSuccess"

    await wait_for(lambda: projected(marker["unitCreate"]["unit"]["id"]), timeout=30)
    assert await projected(unit_id)

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    created = await gateway(
        ITEM,
        {
            "input": {
                "title": "市政重点工程",
                "leadUnitId": unit_id,
                "startDate": (today - timedelta(days=60)).isoformat(),
                "deadline": (today + timedelta(days=10)).isoformat(),
                "ownerIds": [owner],
                "responsibleLeaderId": leader,
            }
        },
    )
    assert created["itemCreate"]["__typename"] == "ItemCreateSuccess", created
    item_id = created["itemCreate"]["item"]["id"]

    async def level(expected: str) -> dict[str, Any] | None:
        alert = (await gateway(ALERT, {"id": item_id}))["item"]["alert"]
        return alert if alert and alert["level"] == expected else None

    # BLUE: 60 days without a report; unit group, supervisor, owner, head are reminded
    await wait_for(lambda: level("BLUE"), timeout=30)

    async def blue_delivered() -> bool:
        robot = [
            m
            for m in wecom.robot_messages
            if m["key"] == ROBOT_KEY and "蓝色" in m["text"]["content"]
        ]
        return bool(
            robot
            and any("蓝色" in t for t in app_texts(wecom, f"sup{tag}"))
            and any("蓝色" in t for t in app_texts(wecom, f"owner{tag}"))
            and any(m.to == [f"li{tag}@example.gov.cn"] for m in smtp.messages)
        )

    await wait_for(blue_delivered, timeout=30)
    [robot] = [m for m in wecom.robot_messages if m["key"] == ROBOT_KEY]
    assert set(robot["text"]["mentioned_mobile_list"]) == {"13900000001", "13900000002"}
    assert "“市政重点工程”" in robot["text"]["content"]
    assert "（时限：" in robot["text"]["content"]
    assert not app_texts(wecom, f"leader{tag}")  # BLUE stays with the unit
    # to the unit's people a card: its 去汇报 opens the item's mobile report page
    [blue_card] = [c for c in report_cards(wecom, f"sup{tag}") if "蓝色" in c["sub_title_text"]]
    assert blue_card["jump_list"][0]["title"] == "去汇报"
    assert blue_card["jump_list"][0]["url"].endswith(f"/m/items/{item_id}")
    sup_client = gateway.as_(token(settings, "UNIT_SUPERVISOR", subject=sup, units=[unit_id]))
    inbox = await sup_client(INBOX)
    assert inbox["inboxUnreadCount"] >= 1
    assert any(n["kind"] == "LEVEL_CHANGED" and n["itemId"] == item_id for n in inbox["inbox"])
    head_inbox = await gateway.as_(token(settings, "UNIT_HEAD", subject=head, units=[unit_id]))(
        INBOX
    )
    assert any("蓝色" in n["body"] for n in head_inbox["inbox"])

    # fifteen days later the deadline has passed: RED, and the responsible leader hears too
    alerts_proc = next(p for p in stack.procs if "tests.e2e.alerts_clock" in list(p.args))  # type: ignore[arg-type]
    restart_alerts(stack, alerts_proc, 15)
    await wait_for(lambda: level("RED"), timeout=60)

    async def red_delivered() -> bool:
        return all(
            any("红色" in t for t in app_texts(wecom, user))
            for user in (f"sup{tag}", f"owner{tag}", f"leader{tag}")
        )

    await wait_for(red_delivered, timeout=30)
    assert any("逾期未办" in t for t in app_texts(wecom, f"leader{tag}"))
    assert not app_texts(wecom, f"mayor{tag}")  # district leaders only after the grace period
    leader_inbox = await gateway.as_(token(settings, "LEADER", subject=leader))(INBOX)
    assert any("红色" in n["body"] for n in leader_inbox["inbox"])

    # the office's log: every notification for the item delivered, on each channel
    async def log_settled() -> list[dict[str, Any]] | None:
        data = await gateway(
            "query($id: ID!) { notificationLog(itemId: $id, first: 200) { channel state kind } }",
            {"id": item_id},
        )
        rows = data["notificationLog"]
        return rows if rows and all(r["state"] == "SENT" for r in rows) else None

    log = await wait_for(log_settled, timeout=30)
    assert {r["channel"] for r in log} == {"WECOM_ROBOT", "WECOM_APP", "EMAIL", "INBOX"}
    # exactly once per reason and recipient, across the restart
    sent = [(m["touser"], m["text"]["content"]) for m in wecom.app_messages]
    sent += [(m["touser"], json.dumps(m["template_card"])) for m in wecom.card_messages]
    assert len(sent) == len(set(sent))
    assert len([t for t in app_texts(wecom, f"sup{tag}") if "变为蓝色预警" in t]) == 1
