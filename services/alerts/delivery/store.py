"""SQL of delivery: claim due notification rows under a lease, record each outcome."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def skip_for_closed_items(conn: asyncpg.Connection) -> int:
    """Pending reminders of items completed or cancelled since they were queued go unsent."""
    result = await conn.execute(
        "UPDATE notifications n SET state = 'SKIPPED', lease_until = NULL,"
        "  last_error = '事项已办结或已撤销，提醒不再发送'"
        " FROM items i WHERE n.item_id = i.id AND n.state = 'PENDING'"
        "  AND i.state IN ('COMPLETED', 'CANCELLED')"
    )
    return int(result.split()[-1])


async def claim_due(
    conn: asyncpg.Connection, limit: int, lease_seconds: float
) -> list[asyncpg.Record]:
    """Due rows (and rows whose sender died mid-way) → SENDING with a lease; one attempt more."""
    return await conn.fetch(
        "UPDATE notifications n SET state = 'SENDING', attempts = n.attempts + 1,"
        "  lease_until = now() + make_interval(secs => $2)"
        " FROM (SELECT id FROM notifications"
        "  WHERE ((state = 'PENDING' AND next_attempt_at <= now())"
        "    OR (state = 'SENDING' AND lease_until < now()))"
        # one recipient's rows together, so each gets one digest per run
        "  ORDER BY channel, address, id LIMIT $1 FOR UPDATE SKIP LOCKED) due"
        " WHERE n.id = due.id"
        " RETURNING n.id, n.channel, n.address, n.mentions, n.title, n.body, n.attempts,"
        "  n.person_id, n.unit_id",
        limit,
        lease_seconds,
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
    count_attempt: bool = True,
) -> None:
    """Back to PENDING after ``retry_in`` seconds, or DEAD (no retry / out of attempts)."""
    await conn.execute(
        "UPDATE notifications SET lease_until = NULL, last_error = $2,"
        "  attempts = attempts - CASE WHEN $5 THEN 0 ELSE 1 END,"
        "  state = CASE WHEN $3::float8 IS NULL OR ($5 AND attempts >= $4) THEN 'DEAD'"
        "   ELSE 'PENDING' END,"
        "  next_attempt_at = now() + make_interval(secs => coalesce($3::float8, 0))"
        " WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
        error[:2000],
        retry_in,
        max_attempts,
        count_attempt,
    )


async def mark_skipped(conn: asyncpg.Connection, ids: Sequence[int], why: str) -> None:
    await conn.execute(
        "UPDATE notifications SET state = 'SKIPPED', lease_until = NULL, last_error = $2"
        " WHERE id = ANY($1::bigint[]) AND state = 'SENDING'",
        list(ids),
        why,
    )
