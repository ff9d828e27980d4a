"""Delivery under kill -9: how many reminders reach a recipient twice.

A flood of pending notification rows (WeCom application messages to 1,500 members,
60 unit robots with 5 reminders each, 1,200 emails; every body carries a unique
marker) is delivered by a real alerts service (``ducha serve alerts`` in a child
process) to loopback WeCom and SMTP servers. The service is killed with SIGKILL three
times (at about 20 %, 45 % and 70 % of the wire messages) and started again each time;
the run ends when every row is SENT. Counted on the receiving side:
- ``rows_received_twice``: markers that arrived in more than one wire message,
- ``wecom_app_duplicates_dropped``: resends that WeCom's own duplicate check dropped
  (``enable_duplicate_check`` on application messages; the fake implements it).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import Any

from bench.support import embedded_servers
from services.alerts.reminders import store
from services.core.db import apply_migrations, create_pool, migrations_for
from tests.alerts.fakes import FakeSMTP, FakeWeCom, free_port

APP_MEMBERS = 1500
ROBOTS, ROBOT_ROWS = 60, 5
EMAILS = 1200
KILL_AT = (0.20, 0.45, 0.70)
MARK = re.compile(r"#(\d{5})#")


def rows() -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []

    def row(n: int, channel: str, address: str, person: bool = True) -> tuple[Any, ...]:
        reason = f"bench:{n}"
        return (
            f"{reason}|{channel}|{address}",
            reason,
            "REPORT_DUE",
            channel,
            uuid.uuid4(),
            uuid.uuid4() if person else None,
            None if person else uuid.uuid4(),
            address,
            [],
            "督查提醒:请报送进度",
            f"【督查提醒】#{n:05d}# 事项本期进度尚未报送,请督查员于2018-06-15前报送进度。",
            "PENDING",
            None,
        )

    app = [("WECOM_APP", f"member{i}", True) for i in range(APP_MEMBERS)]
    robot = [("WECOM_ROBOT", f"robot-{r}", False) for r in range(ROBOTS) for _ in range(ROBOT_ROWS)]
    email = [("EMAIL", f"p{i}@example.gov.cn", True) for i in range(EMAILS)]
    # a flood interleaves the channels (row ids in arrival order)
    lists = [app, robot, email]
    while any(lists):
        for chosen in lists:
            if chosen:
                channel, address, person = chosen.pop(0)
                out.append(row(len(out), channel, address, person))
    return out


def received(wecom: FakeWeCom, smtp: FakeSMTP) -> list[str]:
    texts = [m["text"]["content"] for m in wecom.app_messages]
    texts += [m["text"]["content"] for m in wecom.robot_messages]
    texts += [m.body for m in smtp.messages]
    return texts


def start_service(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "alerts", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run(dsn: str, nats_url: str, data_dir: str) -> dict[str, Any]:
    await apply_migrations(dsn, "alerts", migrations_for("alerts"))
    pool = await create_pool(dsn, "alerts", 1, 4)
    wecom = FakeWeCom(robot_per_minute=10_000, member_per_minute=10_000).start()
    smtp = FakeSMTP().start()
    flood = rows()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "NATS_URL": nats_url,
        "DATA_DIR": data_dir,
        "JWT_SECRET": "bench-secret-0123456789-0123456789-0123456789",
        "WECOM_API_BASE": wecom.base,
        "WECOM_ROBOT_BASE": wecom.robot_url,
        "WECOM_CORP_ID": wecom.corp_id,
        "WECOM_CORP_SECRET": wecom.corp_secret,
        "WECOM_AGENT_ID": "1000002",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "DELIVERY_INTERVAL_SECONDS": "0.2",
        "DELIVERY_LEASE_SECONDS": "10",
        "WECOM_ROBOT_PER_MINUTE": "10000",
        "WECOM_MEMBER_PER_MINUTE": "10000",
        "SWEEP_INTERVAL_SECONDS": "3600",
        "REMINDER_SCAN_SECONDS": "3600",
        "LOG_JSON": "false",
    }
    expected_wire = APP_MEMBERS + ROBOTS + EMAILS
    proc: subprocess.Popen[bytes] | None = None
    kills: list[dict[str, Any]] = []
    try:
        async with pool.acquire() as conn:
            await store.insert_notifications(conn, flood)
        t0 = time.monotonic()
        proc = start_service(env, free_port())
        for share in KILL_AT:
            while len(received(wecom, smtp)) < share * expected_wire:
                if time.monotonic() - t0 > 600:
                    raise RuntimeError("flood did not progress")
                await asyncio.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills.append({"at_wire_messages": len(received(wecom, smtp))})
            proc = start_service(env, free_port())
        while True:
            async with pool.acquire() as conn:
                left = await conn.fetchval(
                    "SELECT count(*) FROM notifications WHERE state <> 'SENT'"
                )
            if left == 0:
                break
            if time.monotonic() - t0 > 900:
                raise RuntimeError(f"{left} rows never reached SENT")
            await asyncio.sleep(0.2)
        wall = time.monotonic() - t0
        texts = received(wecom, smtp)
        seen = Counter(m for t in texts for m in MARK.findall(t))
        twice = {m: c for m, c in seen.items() if c > 1}
        by_channel = Counter(
            r[3] for r in flood if int(MARK.findall(r[10])[0]) in {int(m) for m in twice}
        )
        return {
            "rows": len(flood),
            "kills": kills,
            "wire_messages": len(texts),
            "rows_missing": len(flood) - len(seen),
            "rows_received_twice": len(twice),
            "rows_received_twice_by_channel": dict(by_channel),
            "wecom_app_duplicates_dropped": getattr(wecom, "app_duplicates_dropped", 0),
            "seconds": round(wall, 1),
        }
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        wecom.stop()
        smtp.stop()
        await pool.close()


def main(results: dict[str, Any]) -> None:
    with embedded_servers() as (dsn, nats_url, data_dir):
        results["delivery_crash"] = asyncio.run(run(dsn, nats_url, str(data_dir)))


if __name__ == "__main__":
    import json

    out: dict[str, Any] = {}
    main(out)
    print(json.dumps(out, ensure_ascii=False, indent=2))
