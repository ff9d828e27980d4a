"""Every SQL string of integrations: the feed, clients, subscriptions, the delivery queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from services.alerts.integrations.domain import CloudEvent

Row: TypeAlias = asyncpg.Record


# --- the feed --------------------------------------------------------------------------


# Active subscriptions of active clients that want the type $2, with the client scope.
SUBSCRIPTIONS_FOR_TYPE = (
    "SELECT s.id, s.unit_ids AS filter_units, c.id AS client_id,"
    " c.unit_ids AS client_units, c.all_units, c.event_types AS client_types"
    " FROM webhook_subscriptions s JOIN integration_clients c ON c.id = s.client_id"
    " WHERE s.state = 'ACTIVE' AND c.active AND $2 = ANY(s.event_types)"
)


async def insert_event(conn: asyncpg.Connection, ce: CloudEvent) -> tuple[int | None, list[Row]]:
    """Store a public event once: its seq and the active subscriptions that want its type,
    in one round trip (ADR 0020); (None, []) when it was already stored."""
    rows = await conn.fetch(
        "WITH ev AS (INSERT INTO integration_events (id, type, subject, unit_ids, occurred_at,"
        "  event) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING seq)"
        f" SELECT ev.seq, subs.* FROM ev LEFT JOIN ({SUBSCRIPTIONS_FOR_TYPE}) subs ON true",
        UUID(ce.id),
        ce.type,
        ce.subject,
        ce.unit_ids,
        ce.time,
        ce.as_json(),
    )
    if not rows:
        return None, []
    return int(rows[0]["seq"]), [r for r in rows if r["id"] is not None]


async def events_after(
    conn: asyncpg.Connection,
    after: int,
    limit: int,
    types: Sequence[str],
    unit_ids: Sequence[str] | None,
) -> list[Row]:
    """Events past the cursor of the given types; ``unit_ids`` None = every unit.
    District-wide events (no units) pass any unit scope."""
    return list(
        await conn.fetch(
            "SELECT seq, event FROM integration_events WHERE seq > $1 AND type = ANY($2::text[])"
            " AND ($3::text[] IS NULL OR unit_ids = '{}' OR unit_ids && $3::text[])"
            " ORDER BY seq LIMIT $4",
            after,
            list(types),
            list(unit_ids) if unit_ids is not None else None,
            limit,
        )
    )


async def events_between(
    conn: asyncpg.Connection, start: datetime, end: datetime, types: Sequence[str]
) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT seq, type, subject, unit_ids FROM integration_events"
            " WHERE occurred_at >= $1 AND occurred_at < $2 AND type = ANY($3::text[])"
            " ORDER BY seq",
            start,
            end,
            list(types),
        )
    )


# --- clients and subscriptions ---------------------------------------------------------


async def insert_client(conn: asyncpg.Connection, **c: Any) -> Row:
    row = await conn.fetchrow(
        "INSERT INTO integration_clients (id, name, unit_ids, all_units, event_types, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        c["id"],
        c["name"],
        c["unit_ids"],
        c["all_units"],
        c["event_types"],
        c["created_by"],
    )
    assert row is not None
    return row


async def get_client(conn: asyncpg.Connection, client_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM integration_clients WHERE id = $1", client_id)


async def list_clients(conn: asyncpg.Connection) -> list[Row]:
    return list(await conn.fetch("SELECT * FROM integration_clients ORDER BY created_at, id"))


async def set_client_active(conn: asyncpg.Connection, client_id: UUID, active: bool) -> Row | None:
    return await conn.fetchrow(
        "UPDATE integration_clients SET active = $2 WHERE id = $1 RETURNING *", client_id, active
    )


SUBSCRIPTION_COLUMNS = (
    "s.id, s.client_id, s.url, s.event_types, s.unit_ids, s.ordered, s.state,"
    " s.disabled_reason, s.failing_since, s.created_at, s.secret, s.previous_secret,"
    " s.previous_expires_at"
)


async def insert_subscription(conn: asyncpg.Connection, **s: Any) -> Row:
    row = await conn.fetchrow(
        "INSERT INTO webhook_subscriptions (id, client_id, url, event_types, unit_ids, ordered,"
        " secret) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        s["id"],
        s["client_id"],
        s["url"],
        s["event_types"],
        s["unit_ids"],
        s["ordered"],
        s["secret"],
    )
    assert row is not None
    return row


async def get_subscription(conn: asyncpg.Connection, sub_id: UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM webhook_subscriptions WHERE id = $1", sub_id)


async def list_subscriptions(conn: asyncpg.Connection, client_id: UUID | None) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT * FROM webhook_subscriptions WHERE $1::uuid IS NULL OR client_id = $1"
            " ORDER BY created_at, id",
            client_id,
        )
    )


async def rotate_secret(
    conn: asyncpg.Connection, sub_id: UUID, secret: str, previous_until: datetime
) -> Row | None:
    return await conn.fetchrow(
        "UPDATE webhook_subscriptions SET previous_secret = secret, secret = $2,"
        " previous_expires_at = $3 WHERE id = $1 RETURNING *",
        sub_id,
        secret,
        previous_until,
    )


async def set_subscription_state(
    conn: asyncpg.Connection, sub_id: UUID, state: str, reason: str | None
) -> Row | None:
    return await conn.fetchrow(
        "UPDATE webhook_subscriptions SET state = $2, disabled_reason = $3,"
        " failing_since = CASE WHEN $2 = 'ACTIVE' THEN NULL ELSE failing_since END"
        " WHERE id = $1 RETURNING *",
        sub_id,
        state,
        reason,
    )


# --- the delivery queue ----------------------------------------------------------------


async def insert_deliveries(
    conn: asyncpg.Connection, rows: Sequence[tuple[UUID, int, str]], replay: bool = False
) -> int:
    if not rows:
        return 0
    subs, seqs, subjects = (list(c) for c in zip(*rows, strict=True))
    conflict = (
        "" if replay else " ON CONFLICT (subscription_id, event_seq) WHERE NOT replay DO NOTHING"
    )
    return int(
        await conn.fetchval(
            "WITH ins AS (INSERT INTO webhook_deliveries (subscription_id, event_seq, subject, replay)"
            " SELECT s, q, j, $4 FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS x(s, q, j)"
            f"{conflict} RETURNING 1) SELECT count(*) FROM ins",
            subs,
            seqs,
            subjects,
            replay,
        )
    )


async def claim_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[Row]:
    """Due deliveries of active endpoints, oldest first; for an endpoint that asked for
    ordering, only the oldest pending delivery of each subject."""
    return list(
        await conn.fetch(
            "SELECT d.id, d.subscription_id, d.attempts, d.created_at, e.id AS event_id,"
            " e.event, s.url, s.secret, s.previous_secret, s.previous_expires_at"
            " FROM webhook_deliveries d"
            " JOIN webhook_subscriptions s ON s.id = d.subscription_id"
            " JOIN integration_events e ON e.seq = d.event_seq"
            " WHERE d.state = 'PENDING' AND d.next_attempt_at <= $1 AND s.state = 'ACTIVE'"
            " AND (NOT s.ordered OR NOT EXISTS (SELECT 1 FROM webhook_deliveries p"
            "  WHERE p.subscription_id = d.subscription_id AND p.subject = d.subject"
            "  AND p.state = 'PENDING' AND p.id < d.id))"
            " ORDER BY d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
            now,
            limit,
        )
    )


async def record_attempt(
    conn: asyncpg.Connection,
    delivery_id: int,
    sub_id: UUID,
    at: datetime,
    status: int | None,
    latency_ms: int,
    error: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, subscription_id, attempted_at, status,"
        " latency_ms, error) VALUES ($1, $2, $3, $4, $5, $6)",
        delivery_id,
        sub_id,
        at,
        status,
        latency_ms,
        error,
    )


async def mark_delivered(
    conn: asyncpg.Connection, delivery_id: int, sub_id: UUID, status: int, at: datetime
) -> None:
    await conn.execute(
        "UPDATE webhook_deliveries SET state = 'DELIVERED', attempts = attempts + 1,"
        " last_status = $2, last_error = NULL, delivered_at = $3 WHERE id = $1",
        delivery_id,
        status,
        at,
    )
    await conn.execute(
        "UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = $1"
        " AND failing_since IS NOT NULL",
        sub_id,
    )


async def mark_failed(
    conn: asyncpg.Connection,
    delivery_id: int,
    sub_id: UUID,
    status: int | None,
    error: str,
    at: datetime,
    next_at: datetime | None,
) -> None:
    """A failed attempt: retried at ``next_at``, or DEAD when None."""
    await conn.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2,"
        " last_error = $3, state = CASE WHEN $4::timestamptz IS NULL THEN 'DEAD' ELSE state END,"
        " next_attempt_at = coalesce($4, next_attempt_at) WHERE id = $1",
        delivery_id,
        status,
        error[:500],
        next_at,
    )
    await conn.execute(
        "UPDATE webhook_subscriptions SET failing_since = $2 WHERE id = $1"
        " AND failing_since IS NULL",
        sub_id,
        at,
    )


async def failing_too_long(conn: asyncpg.Connection, since: datetime) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT s.id, s.url, c.name AS client_name FROM webhook_subscriptions s"
            " JOIN integration_clients c ON c.id = s.client_id"
            " WHERE s.state = 'ACTIVE' AND s.failing_since <= $1 FOR UPDATE OF s",
            since,
        )
    )


async def list_attempts(conn: asyncpg.Connection, sub_id: UUID, limit: int) -> list[Row]:
    return list(
        await conn.fetch(
            "SELECT a.id, a.delivery_id, a.attempted_at, a.status, a.latency_ms, a.error,"
            " d.state, d.attempts, d.replay, e.id AS event_id, e.type AS event_type"
            " FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id"
            " JOIN integration_events e ON e.seq = d.event_seq"
            " WHERE a.subscription_id = $1 ORDER BY a.id DESC LIMIT $2",
            sub_id,
            limit,
        )
    )


async def subscription_stats(
    conn: asyncpg.Connection, sub_ids: Sequence[UUID], now: datetime
) -> dict[UUID, Row]:
    rows = await conn.fetch(
        "SELECT subscription_id,"
        " count(*) FILTER (WHERE state = 'DELIVERED') AS delivered,"
        " count(*) FILTER (WHERE state = 'PENDING') AS pending,"
        " count(*) FILTER (WHERE state = 'DEAD') AS dead,"
        " coalesce(extract(epoch FROM $2 - min(created_at) FILTER (WHERE state = 'PENDING')), 0)"
        "  AS lag_seconds"
        " FROM webhook_deliveries WHERE subscription_id = ANY($1::uuid[]) GROUP BY subscription_id",
        list(sub_ids),
        now,
    )
    return {r["subscription_id"]: r for r in rows}


async def office_people(conn: asyncpg.Connection) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM people WHERE active AND 'SUPERVISION_OFFICE' = ANY(roles) ORDER BY id"
    )
    return [r["id"] for r in rows]
