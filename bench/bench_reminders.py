"""Reminders: the time-driven scan over open items, and delivery to loopback WeCom/SMTP.

Seeds the alerts projection directly (90 units with a robot each, 720 people, 10,000
open items; a third near their deadline, a sixth RED for a week, every unit without a
report this week), then measures
- the first scan (plans every due reminder: rows written, items/s),
- a second scan (everything already claimed: the cost of "nothing new"),
- delivering every pending row to loopback servers speaking the WeCom and SMTP
  contracts (rows/s, and how many wire messages the digests needed).
The day is a Friday (a weekly report is due). Runs in well under a minute.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.support import embedded_servers
from services.alerts.delivery.service import Delivery
from services.alerts.reminders.service import scan
from services.core.db import apply_migrations, create_pool, migrations_for
from services.core.settings import Settings

ITEMS = 10_000
UNITS = 90
PEOPLE_PER_UNIT = 8
TODAY = date(2018, 6, 15)  # a Friday
NOW = datetime(2018, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


async def seed(pool: asyncpg.Pool) -> None:
    rnd = random.Random(7)
    units = [uuid.uuid4() for _ in range(UNITS)]
    async with pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO units (id, code, name, wecom_robot_key) VALUES ($1,$2,$3,$4)",
            [(u, f"U{i:03d}", f"单位{i}", f"robot-{i}") for i, u in enumerate(units)],
        )
        roles = [
            "UNIT_HEAD",
            "UNIT_SUPERVISOR",
            "CADRE",
            "CADRE",
            "CADRE",
            "CADRE",
            "CADRE",
            "CADRE",
        ]
        people: list[tuple[Any, ...]] = []
        for i, u in enumerate(units):
            for j in range(PEOPLE_PER_UNIT):
                people.append(
                    (
                        uuid.uuid4(),
                        f"人员{i}-{j}",
                        u,
                        f"139{i:04d}{j:04d}",
                        f"user{i}x{j}",
                        f"p{i}x{j}@example.gov.cn",
                        [roles[j]],
                    )
                )
        people += [
            (uuid.uuid4(), f"区领导{k}", None, f"1370000000{k}", f"leader{k}", None, ["LEADER"])
            for k in range(3)
        ]
        await conn.executemany(
            "INSERT INTO people (id, name, unit_id, mobile, wecom_user_id, email, roles)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7)",
            people,
        )
        cadres = [p for p in people if p[6] == ["CADRE"]]
        rows: list[tuple[Any, ...]] = []
        for n in range(ITEMS):
            lead = rnd.randrange(UNITS)
            kind = n % 6
            if kind in (0, 1):
                deadline = TODAY + timedelta(days=rnd.choice([0, 1, 3, 4]))
            elif kind == 2:
                deadline = TODAY - timedelta(days=10)
            else:
                deadline = TODAY + timedelta(days=60 + n % 100)
            owner = rnd.choice([c for c in cadres if c[2] == units[lead]])[0]
            level = "RED" if kind == 2 else "GREEN"
            since = NOW - timedelta(days=7) if kind == 2 else NOW - timedelta(days=30)
            rows.append(
                (
                    uuid.uuid4(),
                    f"DB-2018-{n + 1:05d}",
                    f"督办事项{n + 1}",
                    date(2018, 1, 2),
                    deadline,
                    units[lead],
                    [],
                    {},
                    level,
                    since,
                    [owner],
                )
            )
        await conn.executemany(
            "INSERT INTO items (id, code, title, source, state, start_date, deadline,"
            " original_deadline, lead_unit_id, co_unit_ids, snapshot, version, level, reason,"
            " level_since, owner_ids)"
            " VALUES ($1,$2,$3,'KEY_WORK','ASSIGNED',$4,$5,$5,$6,$7,$8,1,$9,'',$10,$11)",
            rows,
        )


async def run(dsn: str, settings: Settings) -> dict[str, Any]:
    from tests.alerts.fakes import FakeSMTP, FakeWeCom

    await apply_migrations(dsn, "alerts", migrations_for("alerts"))
    pool = await create_pool(dsn, "alerts", 2, 8)
    wecom = FakeWeCom(robot_per_minute=10_000, member_per_minute=10_000).start()
    smtp = FakeSMTP().start()
    try:
        await seed(pool)
        t0 = time.perf_counter()
        written = await scan(pool, settings, NOW)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = await scan(pool, settings, NOW)
        second = time.perf_counter() - t0
        config = settings.model_copy(
            update={
                "wecom_api_base": wecom.base,
                "wecom_robot_base": wecom.robot_url,
                "wecom_corp_id": wecom.corp_id,
                "wecom_corp_secret": wecom.corp_secret,
                "wecom_agent_id": 1,
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "delivery_batch": 2000,
            }
        )
        async with pool.acquire() as conn:
            pending = await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE state = 'PENDING'"
            )
        t0 = time.perf_counter()
        delivered = await Delivery(config, concurrency=16).run_until_idle(pool)
        delivery = time.perf_counter() - t0
        async with pool.acquire() as conn:
            states = dict(
                await conn.fetch("SELECT state, count(*) FROM notifications GROUP BY state")
            )
        return {
            "open_items": ITEMS,
            "first_scan_s": round(first, 2),
            "first_scan_items_per_s": round(ITEMS / first),
            "notification_rows_written": written,
            "second_scan_s": round(second, 2),
            "second_scan_rows_written": again,
            "pending_rows": pending,
            "delivery_s": round(delivery, 2),
            "delivery_rows_per_s": round(delivered / delivery) if delivery else None,
            "wire_messages": {
                "wecom_robot": len(wecom.robot_messages),
                "wecom_app": len(wecom.app_messages),
                "wecom_app_cards": len(wecom.card_messages),  # reminders with 去汇报
                "email": len(smtp.messages),
            },
            "final_states": states,
        }
    finally:
        wecom.stop()
        smtp.stop()
        await pool.close()


def main(results: dict[str, Any]) -> None:
    with embedded_servers() as (dsn, nats_url, data_dir):
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=data_dir)
        results["reminders"] = asyncio.run(run(dsn, settings))
