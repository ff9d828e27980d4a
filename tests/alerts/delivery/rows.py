"""Builders for delivery tests: notification rows written straight into alerts."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.alerts.reminders import store


def make_row(
    channel: str,
    address: str,
    body: str = "【督查提醒】请督查员于2018-06-14前报送进度。",
    **kw: Any,
) -> tuple[Any, ...]:
    reason = kw.get("reason") or f"test:{uuid.uuid4().hex}"
    return (
        f"{reason}|{channel}|{address}",
        reason,
        "REPORT_DUE",
        channel,
        kw.get("item_id") or uuid.uuid4(),
        kw.get("person_id", uuid.uuid4() if channel != "WECOM_ROBOT" else None),
        kw.get("unit_id"),
        address,
        kw.get("mentions", []),
        "督查提醒:请报送进度",
        body,
        "PENDING",
        None,
    )


async def insert(pool: asyncpg.Pool, rows: list[tuple[Any, ...]]) -> list[int]:
    async with pool.acquire() as conn:
        await store.insert_notifications(conn, rows)
        found = await conn.fetch(
            "SELECT id FROM notifications WHERE dedupe_key = ANY($1::text[]) ORDER BY id",
            [r[0] for r in rows],
        )
    return [r["id"] for r in found]


async def states(pool: asyncpg.Pool, ids: list[int]) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch(
            "SELECT id, state, attempts, last_error, next_attempt_at > now() AS later"
            " FROM notifications WHERE id = ANY($1::bigint[]) ORDER BY id",
            ids,
        )


async def add_item(pool: asyncpg.Pool, item_id: uuid.UUID, state: str) -> None:
    """An item in the alerts projection (just what delivery reads: its state)."""
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO items (id, code, title, source, state, start_date, deadline,"
            " original_deadline, lead_unit_id, snapshot, version)"
            " VALUES ($1, 'DB-2018-0001', '事项', 'KEY_WORK', $2, '2018-01-02',"
            "  '2018-06-30', '2018-06-30', $3, '{}'::jsonb, 1)"
            " ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
            item_id,
            state,
            uuid.uuid4(),
        )
