"""SQL of delivery: hold/skip rows by item state, lock one recipient's due rows, record
the wire message before it leaves, and record each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

HELD_NOTE = "事项已暂停,提醒暂缓发送,恢复办理后补发"
STUCK_NOTE = "多次发送中断(进程退出或超时),已停止重试"


def _count(result: str) -> int:
    return int(result.split()[-1])


async def skip_for_closed_items(conn: asyncpg.Connection) -> int:
    """Pending (or held) reminders of items completed or cancelled since they were queued
    go unsent."""
    return _count(
        await conn.execute(
            "UPDATE notifications n SET state = 'SKIPPED', lease_until = NULL,"
            "  last_error = '事项已办结或已撤销，提醒不再发送'"
            " FROM items i WHERE n.item_id = i.id AND n.state IN ('PENDING', 'HELD')"
            "  AND i.state IN ('COMPLETED', 'CANCELLED')"
        )
    )


async def hold_for_suspended_items(conn: asyncpg.Connection) -> int:
    """Pending reminders of a suspended item wait as HELD (stated in the notification log)."""
    return _count(
        await conn.execute(
            "UPDATE notifications n SET state = 'HELD', last_error = $1"
            " FROM items i WHERE n.item_id = i.id AND n.state = 'PENDING'"
            "  AND i.state = 'SUSPENDED'",
            HELD_NOTE,
        )
    )


async def release_for_resumed_items(conn: asyncpg.Connection) -> int:
    """Held reminders of an item no longer suspended go out again (closed ones were skipped)."""
    return _count(
        await conn.execute(
            "UPDATE notifications n SET state = 'PENDING', next_attempt_at = now(),"
            "  last_error = NULL"
            " FROM items i WHERE n.item_id = i.id AND n.state = 'HELD'"
            "  AND i.state <> 'SUSPENDED'"
        )
    )


async def fail_stuck(conn: asyncpg.Connection, max_attempts: int) -> int:
    """Rows whose sender died (lease expired) with no attempts left end DEAD."""
    return _count(
        await conn.execute(
            "UPDATE notifications SET state = 'DEAD', lease_until = NULL,"
            "  last_error = concat_ws('; ', last_error, $2::text)"
            " WHERE state = 'SENDING' AND lease_until < now() AND attempts >= $1",
            max_attempts,
            STUCK_NOTE,
        )
    )


async def release_unrecorded(conn: asyncpg.Connection) -> int:
    """Lease-expired rows claimed before wire messages were recorded: back to PENDING."""
    return _count(
        await conn.execute(
            "UPDATE notifications SET state = 'PENDING', lease_until = NULL,"
            "  next_attempt_at = now()"
            " WHERE state = 'SENDING' AND lease_until < now() AND delivery_id IS NULL"
        )
    )


async def due_groups(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """(channel, address) of recipients with due rows, oldest first."""
    return await conn.fetch(
        "SELECT channel, address FROM notifications"
        " WHERE state = 'PENDING' AND next_attempt_at <= now()"
        " GROUP BY channel, address ORDER BY min(id) LIMIT $1",
        limit,
    )


async def expired_deliveries(conn: asyncpg.Connection, limit: int) -> list[int]:
    """Wire messages whose sender died before recording the outcome (lease expired)."""
    rows = await conn.fetch(
        "SELECT DISTINCT delivery_id FROM notifications"
        " WHERE state = 'SENDING' AND lease_until < now() AND delivery_id IS NOT NULL"
        " LIMIT $1",
        limit,
    )
    return [r["delivery_id"] for r in rows]


async def lock_group(
    conn: asyncpg.Connection, channel: str, address: str | None, limit: int
) -> list[asyncpg.Record]:
    """One recipient's due rows, oldest first, locked (another sender skips them)."""
    return await conn.fetch(
        "SELECT id, mentions, title, body, attempts, link FROM notifications"
        " WHERE state = 'PENDING' AND next_attempt_at <= now() AND channel = $1"
        "  AND address IS NOT DISTINCT FROM $2"
        " ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED",
        channel,
        address,
        limit,
    )


async def insert_delivery(
    conn: asyncpg.Connection,
    channel: str,
    address: str | None,
    subject: str,
    content: str,
    mentions: Sequence[str],
    card: dict[str, Any] | None = None,
) -> int:
    """The wire message, recorded before it leaves (``card``: sent as a template card)."""
    return int(
        await conn.fetchval(
            "INSERT INTO deliveries (channel, address, subject, content, mentions, card)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            channel,
            address,
            subject,
            content,
            list(mentions),
            card,
        )
    )


async def start_sending(
    conn: asyncpg.Connection, ids: Sequence[int], delivery_id: int, lease_seconds: float
) -> list[asyncpg.Record]:
    """The rows go out in this wire message: SENDING under a short lease, one attempt more."""
    return await conn.fetch(
        "UPDATE notifications SET state = 'SENDING', attempts = attempts + 1,"
        "  delivery_id = $2, lease_until = now() + make_interval(secs => $3)"
        " WHERE id = ANY($1::bigint[]) RETURNING id, attempts",
        list(ids),
        delivery_id,
        lease_seconds,
    )


async def get_delivery(conn: asyncpg.Connection, delivery_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, channel, address, subject, content, mentions, card FROM deliveries"
        " WHERE id = $1",
        delivery_id,
    )


async def reclaim_delivery(
    conn: asyncpg.Connection, delivery_id: int, lease_seconds: float
) -> list[asyncpg.Record]:
    """The rows of an interrupted wire message, under a new lease (none if another sender
    took them first)."""
    return await conn.fetch(
        "UPDATE notifications SET attempts = attempts + 1,"
        "  lease_until = now() + make_interval(secs => $2)"
        " WHERE delivery_id = $1 AND state = 'SENDING' AND lease_until < now()"
        " RETURNING id, attempts",
        delivery_id,
        lease_seconds,
    )


async def defer_group(
    conn: asyncpg.Connection, channel: str, address: str | None, seconds: float
) -> int:
    """A recipient over its rate limit: its due rows wait, no attempt spent."""
    return _count(
        await conn.execute(
            "UPDATE notifications SET next_attempt_at = now() + make_interval(secs => $3),"
            "  last_error = '本地限流,稍后发送'"
            " WHERE state = 'PENDING' AND next_attempt_at <= now() AND channel = $1"
            "  AND address IS NOT DISTINCT FROM $2",
            channel,
            address,
            seconds,
        )
    )


async def mark_sent(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute(
        "UPDATE notifications SET state = 'SENT', sent_at = now(), lease_until = NULL,"
        " last_error = NULL WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
    )


async def mark_failed(
    conn: asyncpg.Connection,
    ids: Sequence[int],
    error: str,
    retry_in: float | None,
    max_attempts: int,
) -> None:
    """Back to PENDING after ``retry_in`` seconds, or DEAD (no retry / out of attempts)."""
    await conn.execute(
        "UPDATE notifications SET lease_until = NULL, last_error = $2,"
        "  state = CASE WHEN $3::float8 IS NULL OR attempts >= $4 THEN 'DEAD'"
        "   ELSE 'PENDING' END,"
        "  next_attempt_at = now() + make_interval(secs => coalesce($3::float8, 0))"
        " WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
        error[:2000],
        retry_in,
        max_attempts,
    )


async def mark_skipped(conn: asyncpg.Connection, ids: Sequence[int], why: str) -> None:
    await conn.execute(
        "UPDATE notifications SET state = 'SKIPPED', lease_until = NULL, last_error = $2"
        " WHERE id = ANY($1::bigint[]) AND state IN ('PENDING', 'SENDING')",
        list(ids),
        why,
    )


async def mark_invalid(conn: asyncpg.Connection, ids: Sequence[int], error: str) -> None:
    """The address cannot work (checked just before sending): DEAD at once, one attempt."""
    await conn.execute(
        "UPDATE notifications SET state = 'DEAD', attempts = attempts + 1, lease_until = NULL,"
        " last_error = $2 WHERE id = ANY($1::bigint[]) AND state IN ('PENDING', 'SENDING')",
        list(ids),
        error[:2000],
    )
