"""Durable delivery against real PostgreSQL and loopback WeCom / SMTP servers."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from services.alerts.delivery.service import Delivery
from services.core.settings import Settings
from tests.alerts.delivery.rows import insert, make_row, states
from tests.alerts.fakes import FakeSMTP, FakeWeCom
from tests.support.servers import wait_for


async def test_burst_to_one_robot_becomes_one_digest(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    rows = [
        make_row("WECOM_ROBOT", "robot-1", f"提醒{i}", mentions=[f"m:1380000000{i % 10}"])
        for i in range(25)
    ]
    ids = await insert(pool, rows)
    await Delivery(config).run_until_idle(pool)
    assert [r["state"] for r in await states(pool, ids)] == ["SENT"] * 25
    [msg] = wecom.robot_messages
    assert msg["text"]["content"].startswith("【督查提醒汇总】共25条提醒")
    assert len(msg["text"]["mentioned_mobile_list"]) == 10  # distinct mobiles, once each


async def test_robot_rate_limit_defers_without_spending_attempts(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    delivery = Delivery(config.model_copy(update={"wecom_robot_per_minute": 2}))
    sent = []
    for i in range(3):
        ids = await insert(pool, [make_row("WECOM_ROBOT", "robot-2", f"第{i}条")])
        await delivery.run_until_idle(pool)
        sent.append((await states(pool, ids))[0])
    assert [r["state"] for r in sent] == ["SENT", "SENT", "PENDING"]
    assert sent[2]["attempts"] == 0 and sent[2]["later"]
    assert len(wecom.robot_messages) == 2


async def test_45009_backs_off_then_sends(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    wecom.script("robot-3", 45009)
    [nid] = await insert(pool, [make_row("WECOM_ROBOT", "robot-3")])
    await Delivery(config).run_until_idle(pool)
    [row] = await states(pool, [nid])
    assert (row["state"], row["attempts"], row["later"]) == ("PENDING", 1, True)
    assert "45009" in row["last_error"]
    async with pool.acquire() as conn:
        await conn.execute("UPDATE notifications SET next_attempt_at = now() WHERE id = $1", nid)
    await Delivery(config).run_until_idle(pool)
    assert (await states(pool, [nid]))[0]["state"] == "SENT"


@pytest.mark.parametrize(
    ("channel", "address", "code"),
    [("WECOM_ROBOT", "bad-robot", 93000), ("WECOM_APP", "gone-user", 81013)],
)
async def test_permanent_errors_go_dead_at_once(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom, channel: str, address: str, code: int
) -> None:
    wecom.script(address, code)
    [nid] = await insert(pool, [make_row(channel, address)])
    await Delivery(config).run_until_idle(pool)
    [row] = await states(pool, [nid])
    assert (row["state"], row["attempts"]) == ("DEAD", 1)
    assert str(code) in row["last_error"]


async def test_transient_errors_retry_then_die(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    wecom.script("flaky", 60020, -1, 60020, 60020)
    flaky, later_ok = await insert(
        pool, [make_row("WECOM_APP", "flaky"), make_row("WECOM_APP", "recovers")]
    )
    wecom.script("recovers", -1)
    await Delivery(config).run_until_idle(pool)  # backoff 0: retried within the run
    rows = await states(pool, [flaky, later_ok])
    assert (rows[0]["state"], rows[0]["attempts"]) == ("DEAD", 3)
    assert "60020" in rows[0]["last_error"]
    assert (rows[1]["state"], rows[1]["attempts"]) == ("SENT", 2)
    assert [m["touser"] for m in wecom.app_messages] == ["recovers"]


async def test_email_and_unconfigured_channel(
    pool: asyncpg.Pool, config: Settings, smtp: FakeSMTP
) -> None:
    ids = await insert(
        pool, [make_row("EMAIL", "li@example.gov.cn"), make_row("EMAIL", "li@example.gov.cn")]
    )
    await Delivery(config).run_until_idle(pool)
    assert [r["state"] for r in await states(pool, ids)] == ["SENT", "SENT"]
    [mail] = smtp.messages
    assert mail.subject == "督查提醒汇总(2条)"
    no_smtp = config.model_copy(update={"smtp_host": None, "wecom_corp_id": None})
    ids = await insert(
        pool, [make_row("EMAIL", "wang@example.gov.cn"), make_row("WECOM_APP", "u1")]
    )
    await Delivery(no_smtp).run_until_idle(pool)
    rows = await states(pool, ids)
    assert [r["state"] for r in rows] == ["SKIPPED", "SKIPPED"]
    assert "未配置" in rows[0]["last_error"]


async def test_reminders_of_an_item_completed_meanwhile_are_not_sent(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    done, open_ = make_row("WECOM_APP", "done-user"), make_row("WECOM_APP", "open-user")
    async with pool.acquire() as conn:
        for row, state in ((done, "COMPLETED"), (open_, "IN_PROGRESS")):
            await conn.execute(
                "INSERT INTO items (id, code, title, source, state, start_date, deadline,"
                " original_deadline, lead_unit_id, snapshot, version)"
                " VALUES ($1, 'DB-2018-0001', '事项', 'KEY_WORK', $2, '2018-01-02',"
                "  '2018-06-30', '2018-06-30', $3, '{}'::jsonb, 1)",
                row[4],
                state,
                uuid.uuid4(),
            )
    ids = await insert(pool, [done, open_])
    await Delivery(config).run_until_idle(pool)
    skipped, sent = await states(pool, ids)
    assert (skipped["state"], sent["state"]) == ("SKIPPED", "SENT")
    assert "已办结" in skipped["last_error"]
    assert "done-user" not in [m["touser"] for m in wecom.app_messages]


async def test_two_deliverers_never_send_the_same_row(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    ids = await insert(pool, [make_row("WECOM_APP", f"member{i}") for i in range(40)])
    one, two = Delivery(config), Delivery(config)
    await asyncio.gather(one.run_until_idle(pool), two.run_until_idle(pool))
    assert [r["state"] for r in await states(pool, ids)] == ["SENT"] * 40
    assert sorted(m["touser"] for m in wecom.app_messages) == sorted(
        f"member{i}" for i in range(40)
    )


async def test_crash_mid_delivery_then_restart_sends_each_once(
    pool: asyncpg.Pool, config: Settings, wecom: FakeWeCom
) -> None:
    """The sender dies while a request hangs; after restart every message arrives exactly once."""
    users = [f"crash{i}" for i in range(6)]
    wecom.script("crash3", "HANG")  # this request is lost with the dying process
    ids = await insert(pool, [make_row("WECOM_APP", u) for u in users])
    crashed = asyncio.create_task(Delivery(config, concurrency=1).run_until_idle(pool))

    async def three_sent() -> bool:
        return len(wecom.app_messages) >= 3

    await wait_for(three_sent)
    await asyncio.sleep(0.1)  # let it enter the hanging request
    crashed.cancel()  # the process is killed mid-way: no state update for in-flight rows
    await asyncio.gather(crashed, return_exceptions=True)
    before = await states(pool, ids)
    assert "SENDING" in [r["state"] for r in before]
    restarted = Delivery(config)

    async def deliver_until_all_sent() -> bool:
        await restarted.run_until_idle(pool)  # rows of the dead sender return after the lease
        return await _all_sent(pool, ids)

    await wait_for(deliver_until_all_sent, timeout=15, interval=0.2)
    received = [m["touser"] for m in wecom.app_messages]
    assert sorted(received) == sorted(users)


async def _all_sent(pool: asyncpg.Pool, ids: list[int]) -> bool:
    return all(r["state"] == "SENT" for r in await states(pool, ids))
