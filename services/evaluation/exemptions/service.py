"""Use-cases for exemptions (容错): request, decide, revoke — penalties leave and return."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.core.auth import Principal
from services.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.evaluation.exemptions import domain as rules
from services.evaluation.exemptions import store
from services.evaluation.ledger import store as ledger_store
from services.evaluation.periods.cache import invalidate_standings


async def request_exemption(
    pool: asyncpg.Pool,
    principal: Principal,
    item_id: UUID,
    case_type: str,
    reason: str,
    evidence: list[str],
    unit_id: UUID | None,
    now: datetime,
) -> asyncpg.Record:
    rules.validate_request(case_type, reason, evidence)
    async with pool.acquire() as conn, conn.transaction():
        item = await ledger_store.get_item(conn, item_id)
        if item is None:
            raise NotFound("督办事项不存在", field="itemId")
        units = {str(u["unit_id"]) for u in await ledger_store.get_item_units(conn, item_id)}
        people = {str(o) for o in item["owner_ids"]}
        if item["responsible_leader_id"]:
            people.add(str(item["responsible_leader_id"]))
        if not rules.may_request(principal, units, people):
            raise Forbidden("只有事项相关单位或干部可以申请容错")
        if unit_id is not None and str(unit_id) not in units:
            raise ValidationFailed("申请单位不是该事项的承办单位", field="unitId")
        await store.lock_item_exemptions(conn, item_id)
        if await ledger_store.item_ids_with_penalties(conn, item_id) == 0:
            raise ValidationFailed(
                "该事项没有扣分记录，无需容错", code="NO_PENALTIES", field="itemId"
            )
        if await store.open_exemption_for_item(conn, item_id) is not None:
            raise Conflict("该事项已有待决定或已批准的容错申请", field="itemId")
        return await store.insert_exemption(
            conn,
            {
                "id": uuid.uuid4(),
                "item_id": item_id,
                "case_type": case_type,
                "reason": reason.strip(),
                "evidence": [e.strip() for e in evidence if e.strip()],
                "requested_by": principal.subject,
                "requested_unit_id": unit_id,
                "requested_at": now,
            },
        )


async def apply_approval(conn: asyncpg.Connection, exemption: Any) -> int:
    label = rules.CASE_TYPES.get(exemption["case_type"], exemption["case_type"])
    return await ledger_store.offset_penalties(
        conn, exemption["item_id"], exemption["id"], f"容错免责({label})"
    )


async def apply_revocation(conn: asyncpg.Connection, exemption: Any) -> int:
    return await ledger_store.restore_penalties(conn, exemption["id"], "撤销容错")


async def decide_exemption(
    pool: asyncpg.Pool,
    principal: Principal,
    exemption_id: UUID,
    approve: bool,
    note: str,
    now: datetime,
) -> asyncpg.Record:
    rules.check_decider(principal)
    async with pool.acquire() as conn, conn.transaction():
        current = await store.get_exemption_for_update(conn, exemption_id)
        if current is None:
            raise NotFound("容错申请不存在", field="id")
        rules.check_transition(current["state"], "DECIDE")
        decided = await store.decide(
            conn, exemption_id, "APPROVED" if approve else "REJECTED", principal.subject, note, now
        )
        if approve:
            await apply_approval(conn, decided)
    invalidate_standings()
    return decided


async def revoke_exemption(
    pool: asyncpg.Pool, principal: Principal, exemption_id: UUID, note: str, now: datetime
) -> asyncpg.Record:
    rules.check_decider(principal)
    async with pool.acquire() as conn, conn.transaction():
        current = await store.get_exemption_for_update(conn, exemption_id)
        if current is None:
            raise NotFound("容错申请不存在", field="id")
        rules.check_transition(current["state"], "REVOKE")
        revoked = await store.revoke(conn, exemption_id, note, now)
        await apply_revocation(conn, revoked)
    invalidate_standings()
    return revoked
