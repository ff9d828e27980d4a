"""Use-cases of integrations: publish to the feed and fan out to subscriptions, manage
clients and webhook subscriptions, the cursor pull, replay and the delivery log.

Transport times (next attempt, failing since, auto-disable) are wall-clock UTC, not the
district's clock (which a demo may set years back): they measure a network's behaviour.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.alerts.integrations import domain, store
from services.alerts.integrations.domain import ClientScope
from services.alerts.integrations.signing import new_secret
from services.core.auth import Principal, Role, mint_token
from services.core.errors import Forbidden, NotFound, ValidationFailed
from services.core.events import Envelope, EventContract
from services.core.ids import parse_uuid
from services.core.settings import Settings

MAX_PAGE = 500


def wall_now() -> datetime:
    return datetime.now(UTC)


def scope_of(client: asyncpg.Record) -> ClientScope:
    return ClientScope(
        client_id=str(client["id"]),
        unit_ids=frozenset(client["unit_ids"]),
        all_units=bool(client["all_units"]),
        event_types=frozenset(client["event_types"]),
    )


def _passes_filter(filter_units: Sequence[str] | None, event_units: Sequence[str]) -> bool:
    return not filter_units or not event_units or bool(set(filter_units) & set(event_units))


# --- publishing ------------------------------------------------------------------------


async def publish(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> int:
    """Put an internal event's public form on the feed and queue it for every
    subscription that may receive it; returns how many deliveries were queued."""
    ce = domain.to_cloud_event(env, event)
    if ce is None:
        return 0
    seq, subscriptions = await store.insert_event(conn, ce)
    if seq is None:
        return 0  # already published (redelivered event)
    rows = []
    for s in subscriptions:
        scope = ClientScope(
            str(s["client_id"]),
            frozenset(s["client_units"]),
            s["all_units"],
            frozenset(s["client_types"]),
        )
        if domain.receives(scope, ce.type, ce.unit_ids) and _passes_filter(
            s["filter_units"], ce.unit_ids
        ):
            rows.append((s["id"], seq, ce.subject))
    return await store.insert_deliveries(conn, rows)


# --- who is calling --------------------------------------------------------------------


def _require_office(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以管理系统对接")


async def client_of(conn: asyncpg.Connection, principal: Principal) -> asyncpg.Record:
    """The calling integration client (active), from its service-account token."""
    if not principal.has(Role.INTEGRATION):
        raise Forbidden("只有对接系统的服务账号可以执行此操作")
    try:
        client_id = uuid.UUID(principal.subject)
    except ValueError as e:
        raise Forbidden("服务账号无效") from e
    client = await store.get_client(conn, client_id)
    if client is None or not client["active"]:
        raise Forbidden("对接系统不存在或已停用")
    return client


async def _subscription_for(
    conn: asyncpg.Connection, principal: Principal, sub_id: str
) -> asyncpg.Record:
    sub = await store.get_subscription(conn, parse_uuid(sub_id, "id"))
    if sub is None:
        raise NotFound("订阅不存在", field="id")
    if principal.has(Role.SUPERVISION_OFFICE):
        return sub
    client = await client_of(conn, principal)
    if client["id"] != sub["client_id"]:
        raise NotFound("订阅不存在", field="id")
    return sub


# --- clients ---------------------------------------------------------------------------


@dataclass
class NewClient:
    name: str
    unit_ids: list[str]
    all_units: bool
    event_types: list[str]


async def create_client(
    pool: asyncpg.Pool, principal: Principal, c: NewClient, settings: Settings
) -> tuple[asyncpg.Record, str | None]:
    """Register a department's system; returns it and its service-account token (HS256
    deployments mint it here; with an external identity provider the token is issued
    there for the returned client id)."""
    _require_office(principal)
    name = c.name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("名称不能为空且不超过100字", field="name")
    units = sorted({str(parse_uuid(u, "unitIds")) for u in c.unit_ids})
    if not units and not c.all_units:
        raise ValidationFailed("请指定对接系统可见的单位", field="unitIds")
    types = domain.check_event_types(c.event_types)
    async with pool.acquire() as conn:
        row = await store.insert_client(
            conn,
            id=uuid.uuid4(),
            name=name,
            unit_ids=[] if c.all_units else units,
            all_units=c.all_units,
            event_types=types,
            created_by=principal.subject,
        )
    token = None
    if settings.jwt_algorithm.startswith("HS") and not settings.jwt_jwks_url:
        token = mint_token(
            settings,
            str(row["id"]),
            [Role.INTEGRATION.value],
            list(row["unit_ids"]),
            name,
            ttl_seconds=settings.integration_token_days * 86400,
        )
    return row, token


async def list_clients(pool: asyncpg.Pool, principal: Principal) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        if principal.has(Role.SUPERVISION_OFFICE):
            return await store.list_clients(conn)
        return [await client_of(conn, principal)]


async def set_client_active(
    pool: asyncpg.Pool, principal: Principal, client_id: str, active: bool
) -> asyncpg.Record:
    _require_office(principal)
    async with pool.acquire() as conn:
        row = await store.set_client_active(conn, parse_uuid(client_id, "id"), active)
    if row is None:
        raise NotFound("对接系统不存在", field="id")
    return row


# --- subscriptions ---------------------------------------------------------------------


@dataclass
class NewSubscription:
    url: str
    event_types: list[str]
    unit_ids: list[str] | None = None
    ordered: bool = False
    client_id: str | None = None  # the office names the client; a client means itself


async def create_subscription(
    pool: asyncpg.Pool, principal: Principal, s: NewSubscription, settings: Settings
) -> tuple[asyncpg.Record, str]:
    """Subscribe an endpoint; returns the subscription and its signing secret (shown once)."""
    url = domain.check_url(
        s.url, require_https=not settings.dev_mode and settings.webhook_require_https
    )
    async with pool.acquire() as conn, conn.transaction():
        if principal.has(Role.SUPERVISION_OFFICE) and s.client_id:
            client = await store.get_client(conn, parse_uuid(s.client_id, "clientId"))
            if client is None:
                raise NotFound("对接系统不存在", field="clientId")
        else:
            client = await client_of(conn, principal)
        types = domain.check_event_types(s.event_types, client["event_types"])
        units: list[str] | None = None
        if s.unit_ids:
            units = sorted({str(parse_uuid(u, "unitIds")) for u in s.unit_ids})
            outside = [u for u in units if u not in set(client["unit_ids"])]
            if outside and not client["all_units"]:
                raise ValidationFailed("只能订阅本系统授权范围内的单位", field="unitIds")
        secret = new_secret()
        row = await store.insert_subscription(
            conn,
            id=uuid.uuid4(),
            client_id=client["id"],
            url=url,
            event_types=types,
            unit_ids=units,
            ordered=s.ordered,
            secret=secret,
        )
    return row, secret


async def list_subscriptions(pool: asyncpg.Pool, principal: Principal) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        if principal.has(Role.SUPERVISION_OFFICE):
            return await store.list_subscriptions(conn, None)
        client = await client_of(conn, principal)
        return await store.list_subscriptions(conn, client["id"])


async def rotate_secret(
    pool: asyncpg.Pool, principal: Principal, sub_id: str, overlap_hours: float = 24.0
) -> tuple[asyncpg.Record, str]:
    """A new signing secret; the old one keeps signing too until the overlap ends."""
    if not 0 <= overlap_hours <= 24 * 7:
        raise ValidationFailed("过渡期应在0到168小时之间", field="overlapHours")
    async with pool.acquire() as conn, conn.transaction():
        sub = await _subscription_for(conn, principal, sub_id)
        secret = new_secret()
        row = await store.rotate_secret(
            conn, sub["id"], secret, wall_now() + timedelta(hours=overlap_hours)
        )
    assert row is not None
    return row, secret


async def set_subscription_active(
    pool: asyncpg.Pool, principal: Principal, sub_id: str, active: bool
) -> asyncpg.Record:
    async with pool.acquire() as conn, conn.transaction():
        sub = await _subscription_for(conn, principal, sub_id)
        row = await store.set_subscription_state(
            conn, sub["id"], "ACTIVE" if active else "DISABLED", None if active else "手动停用"
        )
    assert row is not None
    return row


async def replay(
    pool: asyncpg.Pool, principal: Principal, sub_id: str, start: datetime, end: datetime
) -> int:
    """Queue again every event in [start, end) the subscription may receive."""
    if end <= start:
        raise ValidationFailed("结束时间应晚于开始时间", field="to")
    async with pool.acquire() as conn, conn.transaction():
        sub = await _subscription_for(conn, principal, sub_id)
        client = await store.get_client(conn, sub["client_id"])
        assert client is not None
        scope = scope_of(client)
        rows = [
            (sub["id"], e["seq"], e["subject"])
            for e in await store.events_between(conn, start, end, sub["event_types"])
            if domain.receives(scope, e["type"], e["unit_ids"])
            and _passes_filter(sub["unit_ids"], e["unit_ids"])
        ]
        return await store.insert_deliveries(conn, rows, replay=True)


async def attempts(
    pool: asyncpg.Pool, principal: Principal, sub_id: str, first: int
) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        sub = await _subscription_for(conn, principal, sub_id)
        return await store.list_attempts(conn, sub["id"], max(1, min(first, MAX_PAGE)))


async def stats(pool: asyncpg.Pool, principal: Principal, sub_id: str) -> asyncpg.Record | None:
    """Delivered / pending / dead counts and lag of one endpoint."""
    async with pool.acquire() as conn:
        sub = await _subscription_for(conn, principal, sub_id)
        found = await store.subscription_stats(conn, [sub["id"]], wall_now())
        return found.get(sub["id"])


# --- the cursor pull -------------------------------------------------------------------


def parse_cursor(after: str | None) -> int:
    if not after:
        return 0
    try:
        value = int(after)
    except ValueError as e:
        raise ValidationFailed("无效的游标", field="after") from e
    if value < 0:
        raise ValidationFailed("无效的游标", field="after")
    return value


async def events_page(
    pool: asyncpg.Pool, principal: Principal, after: str | None, first: int
) -> tuple[list[dict[str, Any]], str | None, bool]:
    """Public events past the cursor that the caller may see: (events, end cursor, more)."""
    cursor = parse_cursor(after)
    limit = max(1, min(first, MAX_PAGE))
    async with pool.acquire() as conn:
        if principal.has(Role.SUPERVISION_OFFICE):
            types: Sequence[str] = list(domain.BY_TYPE)
            units: Sequence[str] | None = None
        else:
            scope = scope_of(await client_of(conn, principal))
            types = sorted(scope.event_types)
            units = None if scope.all_units else sorted(scope.unit_ids)
        rows = await store.events_after(conn, cursor, limit + 1, types, units)
    more = len(rows) > limit
    rows = rows[:limit]
    end = str(rows[-1]["seq"]) if rows else (str(cursor) if after else None)
    return [r["event"] for r in rows], end, more
