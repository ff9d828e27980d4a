"""Delivery that cannot be jammed (issue 11): bad addresses, exceptions outside
ChannelError, interrupted sends, over-long digests, suspended items and re-sends to the
current address — real PostgreSQL, loopback WeCom and SMTP."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
import pytest

from services.alerts.delivery import store as delivery_store
from services.alerts.delivery.channels import Mailer
from services.alerts.delivery.service import Delivery
from services.alerts.inbox import service as inbox
from services.alerts.inbox.graphql import DeliveryState
from services.alerts.reminders.events import on_person_upserted
from services.contracts import tasks as ev
from services.core.auth import Principal, Role
from services.core.errors import ValidationFailed
from services.core.settings import Settings
from tests.alerts.delivery.rows import add_item, insert, make_row, states
from tests.alerts.fakes import FakeSMTP, FakeWeCom

OFFICE = Principal(subject=str(uuid.uuid4()), roles=frozenset({Role.SUPERVISION_OFFICE}))
MARK = re.compile(r"#(\d+)#")


def app_texts(wecom: FakeWeCom, user: str) -> list[str]:
    return [m["text"]["content"] for m in wecom.app_messages if m["touser"] == user]


async def test_a_bad_address_ends_dead_at_once_and_the_round_goes_on(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom, smtp: FakeSMTP
) -> None:
    bad = [
        make_row("EMAIL", "li@example.gov.cn\nBcc: all@example.gov.cn"),  # the jamming newline
        make_row("WECOM_APP", "李 军伟"),
        make_row("WECOM_ROBOT", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"),
        make_row("EMAIL", ""),
    ]
    good = [make_row("EMAIL", "ok@example.gov.cn"), make_row("WECOM_APP", "okuser")]
    bad_ids, good_ids = await insert(pool, bad), await insert(pool, good)
    await Delivery(config).run_until_idle(pool)
    for row in await states(pool, bad_ids):
        assert (row["state"], row["attempts"]) == ("DEAD", 1), row
        assert row["last_error"].startswith("接收地址无效"), row
    assert [r["state"] for r in await states(pool, good_ids)] == ["SENT", "SENT"]
    assert [m.to for m in smtp.messages] == [["ok@example.gov.cn"]]
    assert [m["touser"] for m in wecom.app_messages] == ["okuser"]
    assert wecom.robot_messages == []


async def test_every_exception_from_a_channel_counts_as_an_attempt(
    pool: asyncpg.Pool,
    config: Settings,
    wecom: FakeWeCom,
    smtp: FakeSMTP,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = Mailer._send

    def boom(self: Mailer, to: str, subject: str, body: str, message_id: str | None) -> Any:
        if to == "boom@example.gov.cn":
            raise ValueError("a library raised outside ChannelError")
        return real(self, to, subject, body, message_id)

    monkeypatch.setattr(Mailer, "_send", boom)
    [failing] = await insert(pool, [make_row("EMAIL", "boom@example.gov.cn")])
    others = await insert(
        pool, [make_row("WECOM_APP", f"fine{i}") for i in range(3)] + [make_row("EMAIL", "a@b.cn")]
    )
    await Delivery(config).run_until_idle(pool)  # backoff 0: the attempts follow at once
    [row] = await states(pool, [failing])
    assert (row["state"], row["attempts"]) == ("DEAD", config.notification_max_attempts)
    assert row["last_error"] == "ValueError: a library raised outside ChannelError"
    assert [r["state"] for r in await states(pool, others)] == ["SENT"] * 4
    assert sorted(m["touser"] for m in wecom.app_messages) == ["fine0", "fine1", "fine2"]
    assert [m.to for m in smtp.messages] == [["a@b.cn"]]


async def _expire(pool: asyncpg.Pool, ids: list[int], attempts: int, **kw: Any) -> None:
    """Rows a killed sender left SENDING, their lease long gone."""
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE notifications SET state = 'SENDING', attempts = $2,"
            " lease_until = now() - interval '1 minute', last_error = $3, delivery_id = $4"
            " WHERE id = ANY($1::bigint[])",
            ids,
            attempts,
            kw.get("error"),
            kw.get("delivery_id"),
        )


async def test_interrupted_sends_have_an_attempt_limit_and_resend_the_same_text(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    limit = config.notification_max_attempts
    used_up = await insert(pool, [make_row("WECOM_APP", "stuck1"), make_row("WECOM_APP", "stuck2")])
    await _expire(pool, used_up[:1], limit, error="HTTP error: ReadTimeout")
    [interrupted] = await insert(pool, [make_row("WECOM_APP", "again", "#1# 与 #2#")])
    async with pool.acquire() as conn:
        wire = await delivery_store.insert_delivery(
            conn, "WECOM_APP", "again", "督查提醒", "原样重发的汇总 #1# #2#", []
        )
    await _expire(pool, [interrupted], 1, delivery_id=wire)
    await _expire(pool, used_up[1:], limit, delivery_id=wire)
    await Delivery(config).run_until_idle(pool)
    first, second = await states(pool, used_up)
    assert (first["state"], second["state"]) == ("DEAD", "DEAD")
    assert first["last_error"] == f"HTTP error: ReadTimeout; {delivery_store.STUCK_NOTE}"
    assert second["last_error"] == delivery_store.STUCK_NOTE
    [row] = await states(pool, [interrupted])
    assert (row["state"], row["attempts"]) == ("SENT", 2)
    # the recorded wire message went again, word for word, with WeCom's duplicate check on
    [sent] = [m for m in wecom.app_messages if m["touser"] == "again"]
    assert sent["text"]["content"] == "原样重发的汇总 #1# #2#"
    assert sent["enable_duplicate_check"] == 1
    assert not app_texts(wecom, "stuck1") and not app_texts(wecom, "stuck2")


async def test_rows_cut_from_a_digest_stay_pending_for_the_next_one(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    body = "【督查提醒】事项#{n}#本期进度尚未报送,请督查员于2018-06-14前报送进度,逾期将通报。"
    ids = await insert(pool, [make_row("WECOM_APP", "busy", body.format(n=n)) for n in range(30)])
    delivery = Delivery(config)
    await delivery.run_once(pool)
    [first] = app_texts(wecom, "busy")
    carried = {int(n) for n in MARK.findall(first)}
    assert 0 < len(carried) < 30 and len(first.encode()) <= 2048
    assert f"另有{30 - len(carried)}条提醒随后发送" in first
    rows = await states(pool, ids)
    sent = [r for r in rows if r["state"] == "SENT"]
    assert len(sent) == len(carried)  # only what the text carried is SENT
    assert [(r["state"], r["attempts"]) for r in rows if r["state"] != "SENT"] == [
        ("PENDING", 0)
    ] * (30 - len(carried))
    await delivery.run_until_idle(pool)
    assert [r["state"] for r in await states(pool, ids)] == ["SENT"] * 30
    arrived = [int(n) for text in app_texts(wecom, "busy") for n in MARK.findall(text)]
    assert sorted(arrived) == list(range(30))  # each exactly once, none lost


async def test_a_suspended_item_holds_its_reminders_until_it_resumes(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom, smtp: FakeSMTP
) -> None:
    paused, dropped = uuid.uuid4(), uuid.uuid4()
    await add_item(pool, paused, "SUSPENDED")
    await add_item(pool, dropped, "SUSPENDED")
    held = await insert(
        pool,
        [
            make_row("WECOM_APP", "paused-user", item_id=paused),
            make_row("EMAIL", "paused@example.gov.cn", item_id=paused),
        ],
    )
    [cancelled] = await insert(pool, [make_row("WECOM_APP", "dropped-user", item_id=dropped)])
    delivery = Delivery(config)
    await delivery.run_until_idle(pool)
    rows = await states(pool, [*held, cancelled])
    assert [(r["state"], r["last_error"]) for r in rows] == [("HELD", delivery_store.HELD_NOTE)] * 3
    assert DeliveryState(rows[0]["state"]) is DeliveryState.HELD  # the log can show it
    assert wecom.app_messages == [] and smtp.messages == []
    await add_item(pool, paused, "IN_PROGRESS")  # resumed
    await add_item(pool, dropped, "CANCELLED")
    await delivery.run_until_idle(pool)
    rows = await states(pool, [*held, cancelled])
    assert [r["state"] for r in rows] == ["SENT", "SENT", "SKIPPED"]
    assert [m["touser"] for m in wecom.app_messages] == ["paused-user"]
    assert [m.to for m in smtp.messages] == [["paused@example.gov.cn"]]


async def test_resend_goes_to_the_current_address_of_the_unit_and_the_person(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom, smtp: FakeSMTP
) -> None:
    unit, person = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO units (id, code, name, wecom_robot_key) VALUES ($1, 'JSY', '金水源街道',"
            " 'old-key')",
            unit,
        )
        await conn.execute(
            "INSERT INTO people (id, name, unit_id, email) VALUES ($1, '李督查员', $2,"
            " 'refuse-li@example.gov.cn')",
            person,
            unit,
        )
    wecom.script("old-key", 93000)  # the unit's robot was removed from its group
    dead = await insert(
        pool,
        [
            make_row("WECOM_ROBOT", "old-key", unit_id=unit, person_id=None),
            make_row("EMAIL", "refuse-li@example.gov.cn", person_id=person),
        ],
    )
    delivery = Delivery(config)
    await delivery.run_until_idle(pool)
    assert [r["state"] for r in await states(pool, dead)] == ["DEAD", "DEAD"]
    [waiting] = await insert(pool, [make_row("WECOM_ROBOT", "old-key", unit_id=unit)])
    with pytest.raises(ValidationFailed) as e:
        await inbox.set_unit_robot(pool, OFFICE, str(unit), "new key with spaces")
    assert e.value.field == "wecomRobotKey"
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=new-key"
    fixed = await inbox.set_unit_robot(pool, OFFICE, str(unit), url)  # the office pastes the URL
    assert fixed["robot_key"] == "new-key"
    listed = {r["id"]: r for r in await inbox.unit_robots(pool, OFFICE)}
    assert (listed[unit]["has_robot"], listed[unit]["overridden"]) == (True, True)
    assert "new-key" not in repr(dict(listed[unit]))  # the list never shows the key
    async with pool.acquire() as conn:
        await conn.execute("UPDATE people SET email = 'li@example.gov.cn' WHERE id = $1", person)
        assert await conn.fetchval("SELECT address FROM notifications WHERE id = $1", waiting) == (
            "new-key"
        )
    again = await inbox.resend(pool, OFFICE, [str(i) for i in dead])
    assert sorted(r["address"] for r in again) == ["li@example.gov.cn", "new-key"]
    await delivery.run_until_idle(pool)
    assert [r["state"] for r in await states(pool, [*dead, waiting])] == ["SENT"] * 3
    assert {m["key"] for m in wecom.robot_messages} == {"new-key"}
    assert [m.to for m in smtp.messages] == [["li@example.gov.cn"]]


async def test_waiting_messages_follow_a_persons_new_address(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom, smtp: FakeSMTP
) -> None:
    """tasks.person.upserted re-addresses rows still waiting; a removed address ends DEAD."""
    person = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO people (id, name, wecom_user_id, email) VALUES ($1, '王五', 'wangwu',"
            " 'old@example.gov.cn')",
            person,
        )
    app, mail = await insert(
        pool,
        [
            make_row("WECOM_APP", "wangwu", person_id=person),
            make_row("EMAIL", "old@example.gov.cn", person_id=person),
        ],
    )
    event = ev.PersonUpserted(id=str(person), name="王五", wecom_user_id="wang.wu")  # no email
    envelope = event.envelope(str(person), 2)
    async with pool.acquire() as conn, conn.transaction():
        await on_person_upserted(conn, envelope, event)
    await Delivery(config).run_until_idle(pool)
    sent, dead = await states(pool, [app, mail])
    assert sent["state"] == "SENT" and [m["touser"] for m in wecom.app_messages] == ["wang.wu"]
    assert (dead["state"], dead["last_error"]) == ("DEAD", "接收地址无效: 没有可用的接收地址")
    assert smtp.messages == []
