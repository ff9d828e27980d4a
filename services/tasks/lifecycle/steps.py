"""Steps every lifecycle use-case shares: lock and authorise, emit, audit, settle.

An item event always carries the bumped aggregate version and the full snapshot
(services.tasks.items.service.item_snapshot, assignments included).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.contracts import tasks as ev
from services.core.auth import Principal
from services.core.errors import Forbidden, NotFound
from services.core.outbox import record_event
from services.tasks.access import ItemScope, Operation, can
from services.tasks.audit.service import append_audit
from services.tasks.items.domain import ItemState
from services.tasks.items.service import item_snapshot
from services.tasks.lifecycle import domain as lc
from services.tasks.lifecycle import store


@dataclass
class Changed:
    """The item after the change (items.store.ITEM_COLUMNS row) and the record it made."""

    item: asyncpg.Record
    record: asyncpg.Record | None = None


# --- shared steps -------------------------------------------------------------------


async def load(
    conn: asyncpg.Connection,
    principal: Principal,
    item_id: uuid.UUID,
    op: Operation,
    acting_unit: uuid.UUID | None = None,
) -> asyncpg.Record:
    item = await store.lock_item(conn, item_id)
    if item is None:
        raise NotFound("督办事项不存在", field="itemId")
    scope = ItemScope.of(
        item["lead_unit_id"],
        item["co_unit_ids"],
        item["owner_ids"],
        item["responsible_leader_id"],
        acting_unit,
    )
    if not can(principal, op, scope):
        raise Forbidden("无权对该事项执行此操作")
    return item


async def find_assignment(
    conn: asyncpg.Connection, item_id: uuid.UUID, unit_id: uuid.UUID
) -> asyncpg.Record:
    for a in await store.list_assignments(conn, item_id):
        if a["unit_id"] == unit_id:
            return a
    raise NotFound("该单位不是此事项的承办单位", field="unitId")


async def emit(
    conn: asyncpg.Connection,
    principal: Principal,
    contract: type[ev.ItemEvent],
    item: asyncpg.Record,
    now: datetime,
    detail: dict[str, Any],
) -> None:
    event = contract(item=item_snapshot(item), actor_id=principal.subject, detail=detail)
    await record_event(conn, event.envelope(str(item["id"]), item["version"], occurred_at=now))


async def audit(
    conn: asyncpg.Connection,
    principal: Principal,
    action: str,
    item_id: uuid.UUID,
    subject_type: str,
    subject_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await append_audit(
        conn,
        actor_id=principal.subject,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        item_id=item_id,
        before=before,
        after=after,
    )


async def settle(
    conn: asyncpg.Connection,
    principal: Principal,
    item: asyncpg.Record,
    contract: type[ev.ItemEvent],
    now: datetime,
    detail: dict[str, Any],
) -> asyncpg.Record:
    """After an assignment changed: derive the item state, bump, emit; and when every
    assignment is done, complete the item (同时办结) with its own event."""
    states = [a["state"] for a in await store.list_assignments(conn, item["id"])]
    derived = lc.derive_item_state(item["state"], states)
    if derived == ItemState.COMPLETED:
        row = await store.update_item(conn, item["id"])
        await emit(conn, principal, contract, row, now, detail)
        row = await store.update_item(
            conn, item["id"], state=ItemState.COMPLETED.value, completed_at=now
        )
        await emit(conn, principal, ev.ItemCompleted, row, now, {"completed_at": now.isoformat()})
        await audit(
            conn,
            principal,
            "item.completed",
            item["id"],
            "item",
            item["id"],
            {"state": item["state"]},
            {"state": ItemState.COMPLETED.value},
        )
        return row
    row = await store.update_item(conn, item["id"], state=derived.value)
    await emit(conn, principal, contract, row, now, detail)
    return row


async def unit_transition(
    conn: asyncpg.Connection,
    principal: Principal,
    item_id: uuid.UUID,
    unit_id: uuid.UUID,
    op: Operation,
    action: lc.AssignmentAction,
) -> tuple[asyncpg.Record, asyncpg.Record, lc.AssignmentState]:
    item = await load(conn, principal, item_id, op, unit_id)
    current = await find_assignment(conn, item_id, unit_id)
    target = lc.next_assignment_state(item["state"], current["state"], action)
    return item, current, target
