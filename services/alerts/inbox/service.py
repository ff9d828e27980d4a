"""Use-cases behind the inbox, notification log, channel preferences and re-sending."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.alerts import access
from services.alerts.inbox import store
from services.alerts.reminders import store as directory
from services.core import clock
from services.core.addresses import robot_key_from, robot_key_problem
from services.core.auth import Principal
from services.core.errors import InvalidTransition, NotFound, ValidationFailed
from services.core.ids import parse_uuid


def parse_ids(values: Sequence[str], field: str = "ids") -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError as e:
        raise ValidationFailed("无效的通知编号", field=field) from e


async def mark_read(
    pool: asyncpg.Pool, principal: Principal, ids: Sequence[str] | None
) -> tuple[int, int]:
    person = parse_uuid(principal.subject, "personId")
    wanted = parse_ids(ids) if ids is not None else None
    async with pool.acquire() as conn, conn.transaction():
        if wanted:
            mine = await store.list_notifications(
                conn, person_id=person, channel="INBOX", ids=wanted, limit=len(wanted)
            )
            if len(mine) != len(set(wanted)):
                raise NotFound("消息不存在", field="ids")
        count = await store.mark_read(conn, person, wanted, clock.now())
        return count, await store.unread_count(conn, person)


async def set_preferences(
    pool: asyncpg.Pool,
    principal: Principal,
    person_id: str | None,
    wecom_app: bool | None,
    email: bool | None,
    inbox: bool | None,
) -> asyncpg.Record:
    person = access.inbox_person(principal, person_id)
    async with pool.acquire() as conn, conn.transaction():
        old = await store.get_preferences(conn, person)
        current = {
            "wecom_app": old["wecom_app"] if old else True,
            "email": old["email"] if old else True,
            "inbox": old["inbox"] if old else True,
        }
        for key, value in (("wecom_app", wecom_app), ("email", email), ("inbox", inbox)):
            if value is not None:
                current[key] = value
        return await store.upsert_preferences(conn, person, **current)


async def resend(
    pool: asyncpg.Pool, principal: Principal, ids: Sequence[str]
) -> list[asyncpg.Record]:
    access.check_may_resend(principal)
    wanted = parse_ids(ids)
    if not wanted:
        raise ValidationFailed("请指定要重发的消息", field="ids")
    async with pool.acquire() as conn, conn.transaction():
        found = await store.list_notifications(conn, ids=wanted, limit=len(wanted))
        if len(found) != len(set(wanted)):
            raise NotFound("消息不存在", field="ids")
        if bad := [r for r in found if r["state"] not in ("DEAD", "SKIPPED")]:
            raise InvalidTransition("只能重发投递失败的消息", current_state=bad[0]["state"])
        return await store.resend(conn, wanted)


async def unit_robots(pool: asyncpg.Pool, principal: Principal) -> list[asyncpg.Record]:
    access.check_may_set_robot(principal)
    async with pool.acquire() as conn:
        return await store.list_unit_robots(conn)


async def set_unit_robot(
    pool: asyncpg.Pool, principal: Principal, unit_id: str, key: str | None
) -> asyncpg.Record:
    access.check_may_set_robot(principal)
    unit = parse_uuid(unit_id, "unitId")
    clean = robot_key_from(key or "") or None
    if clean and (problem := robot_key_problem(clean)):
        raise ValidationFailed(problem, field="wecomRobotKey")
    async with pool.acquire() as conn, conn.transaction():
        row = await store.set_unit_robot_override(conn, unit, clean)
        if row is None:
            raise NotFound("单位不存在", field="unitId")
        # messages still waiting for this unit's robot go to the key in force now
        await directory.readdress_unit_robot(conn, unit)
    return row
