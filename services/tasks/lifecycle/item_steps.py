"""Use-cases on whole items: extensions (延期), suspend / resume / cancel, leader
instructions (批示) and chases (催办). Same shape as lifecycle.service (whose shared
steps it uses): ``(db, principal, input, now=None)``, one transaction, access and
transition checked by domain code, one audit entry, one event per state change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import Conflict, NotFound
from services.tasks.access import Operation
from services.tasks.items.domain import clean_text
from services.tasks.lifecycle import domain as lc
from services.tasks.lifecycle import store
from services.tasks.lifecycle.steps import Changed, audit, emit, find_assignment, load
from services.tasks.transaction import Db, transaction


@dataclass
class ExtensionRequest:
    """延期申请 by a unit on the item, before its deadline."""

    item_id: uuid.UUID
    unit_id: uuid.UUID
    new_deadline: date
    reason: str


@dataclass
class ExtensionDecision:
    extension_id: uuid.UUID
    approved: bool
    note: str = ""


@dataclass
class ItemStep:
    """暂停 / 恢复 / 撤销 (office), 批示 content (leader), 催办 note (office, leader)."""

    item_id: uuid.UUID
    text: str = ""
    unit_id: uuid.UUID | None = None


# --- extensions ---------------------------------------------------------------------


async def request_extension(
    db: Db, principal: Principal, req: ExtensionRequest, now: datetime | None = None
) -> Changed:
    """延期申请 by a unit of the item, before the deadline, one pending at a time.
    Emits tasks.item.extension_requested."""
    now = now or clock.now()
    reason = lc.require_reason(req.reason)
    async with transaction(db) as conn:
        item = await load(conn, principal, req.item_id, Operation.EXTENSION_REQUEST, req.unit_id)
        lc.check_item_action(item["state"], lc.ItemAction.REQUEST_EXTENSION)
        lc.check_extension_request(clock.local_date(now), item["deadline"], req.new_deadline)
        if await store.pending_extension(conn, req.item_id):
            raise Conflict("已有待审批的延期申请", field="itemId")
        ext = await store.insert_extension(
            conn,
            id=uuid.uuid4(),
            item_id=req.item_id,
            unit_id=req.unit_id,
            reason=reason,
            old_deadline=item["deadline"],
            new_deadline=req.new_deadline,
            requested_by=principal.subject,
            requested_at=now,
        )
        await audit(
            conn,
            principal,
            "extension.requested",
            req.item_id,
            "extension",
            ext["id"],
            None,
            {"new_deadline": req.new_deadline.isoformat(), "reason": reason},
        )
        row = await store.update_item(conn, req.item_id)
        await emit(
            conn,
            principal,
            ev.ItemExtensionRequested,
            row,
            now,
            {
                "extension_id": str(ext["id"]),
                "unit_id": str(req.unit_id),
                "reason": reason,
                "deadline": item["deadline"].isoformat(),
                "new_deadline": req.new_deadline.isoformat(),
            },
        )
    return Changed(row, ext)


async def decide_extension(
    db: Db, principal: Principal, d: ExtensionDecision, now: datetime | None = None
) -> Changed:
    """延期审批 (office). Emits tasks.item.extension_decided; when approved also
    tasks.item.deadline_changed (original_deadline stays for assessment)."""
    now = now or clock.now()
    note = clean_text(d.note, "note", lc.REASON_MAX, required=not d.approved)
    async with transaction(db) as conn:
        ext = await store.get_extension_for_update(conn, d.extension_id)
        if ext is None:
            raise NotFound("延期申请不存在", field="extensionId")
        item = await load(conn, principal, ext["item_id"], Operation.EXTENSION_DECIDE)
        lc.check_item_action(item["state"], lc.ItemAction.DECIDE_EXTENSION)
        lc.check_extension_pending(ext["state"])
        state = "APPROVED" if d.approved else "REJECTED"
        saved = await store.decide_extension(
            conn, d.extension_id, state, note, principal.subject, now
        )
        await audit(
            conn,
            principal,
            "extension.decided",
            item["id"],
            "extension",
            d.extension_id,
            {"state": "PENDING"},
            {"state": state, "note": note},
        )
        row = await store.update_item(conn, item["id"])
        detail = {
            "extension_id": str(d.extension_id),
            "approved": d.approved,
            "decision": state,
            "note": note,
            "new_deadline": ext["new_deadline"].isoformat(),
        }
        await emit(conn, principal, ev.ItemExtensionDecided, row, now, detail)
        if d.approved:
            row = await store.update_item(conn, item["id"], deadline=ext["new_deadline"])
            await audit(
                conn,
                principal,
                "item.deadline_changed",
                item["id"],
                "item",
                item["id"],
                {"deadline": item["deadline"].isoformat()},
                {"deadline": ext["new_deadline"].isoformat()},
            )
            await emit(
                conn,
                principal,
                ev.ItemDeadlineChanged,
                row,
                now,
                {
                    "previous_deadline": item["deadline"].isoformat(),
                    "deadline": ext["new_deadline"].isoformat(),
                    "original_deadline": item["original_deadline"].isoformat(),
                    "extension_id": str(d.extension_id),
                },
            )
    return Changed(row, saved)


# --- office item steps --------------------------------------------------------------


async def _item_state_step(
    db: Db,
    principal: Principal,
    step: ItemStep,
    now: datetime | None,
    op: Operation,
    action: lc.ItemAction,
    contract: type[ev.ItemEvent],
) -> Changed:
    now = now or clock.now()
    reason = clean_text(step.text, "reason", lc.REASON_MAX, required=action != lc.ItemAction.RESUME)
    async with transaction(db) as conn:
        item = await load(conn, principal, step.item_id, op)
        lc.check_item_action(item["state"], action)
        if action == lc.ItemAction.SUSPEND:
            changes: dict[str, Any] = {"state": "SUSPENDED", "suspended_from": item["state"]}
        elif action == lc.ItemAction.RESUME:
            states = [a["state"] for a in await store.list_assignments(conn, step.item_id)]
            changes = {"state": lc.resume_state(states).value, "suspended_from": None}
        else:
            changes = {"state": "CANCELLED"}
        row = await store.update_item(conn, step.item_id, **changes)
        await audit(
            conn,
            principal,
            f"item.{contract.type.rsplit('.', 1)[1]}",
            step.item_id,
            "item",
            step.item_id,
            {"state": item["state"]},
            {"state": changes["state"], "reason": reason},
        )
        await emit(
            conn,
            principal,
            contract,
            row,
            now,
            {"reason": reason, "previous_state": item["state"]},
        )
    return Changed(row)


async def suspend(
    db: Db, principal: Principal, step: ItemStep, now: datetime | None = None
) -> Changed:
    """暂停 (office, reason required). Emits tasks.item.suspended."""
    return await _item_state_step(
        db, principal, step, now, Operation.ITEM_SUSPEND, lc.ItemAction.SUSPEND, ev.ItemSuspended
    )


async def resume(
    db: Db, principal: Principal, step: ItemStep, now: datetime | None = None
) -> Changed:
    """恢复 (office). Emits tasks.item.resumed."""
    return await _item_state_step(
        db, principal, step, now, Operation.ITEM_RESUME, lc.ItemAction.RESUME, ev.ItemResumed
    )


async def cancel(
    db: Db, principal: Principal, step: ItemStep, now: datetime | None = None
) -> Changed:
    """撤销 (office, reason required). Emits tasks.item.cancelled."""
    return await _item_state_step(
        db, principal, step, now, Operation.ITEM_CANCEL, lc.ItemAction.CANCEL, ev.ItemCancelled
    )


async def add_instruction(
    db: Db, principal: Principal, step: ItemStep, now: datetime | None = None
) -> Changed:
    """领导批示 (LEADER; text = the instruction). Emits tasks.item.instruction_added."""
    now = now or clock.now()
    content = clean_text(step.text, "content", lc.NARRATIVE_MAX)
    async with transaction(db) as conn:
        item = await load(conn, principal, step.item_id, Operation.INSTRUCTION_ADD)
        lc.check_item_action(item["state"], lc.ItemAction.INSTRUCT)
        saved = await store.insert_instruction(
            conn, uuid.uuid4(), step.item_id, principal.subject, content, now
        )
        await audit(
            conn,
            principal,
            "instruction.added",
            step.item_id,
            "instruction",
            saved["id"],
            None,
            {"content": content},
        )
        row = await store.update_item(conn, step.item_id)
        await emit(
            conn,
            principal,
            ev.ItemInstructionAdded,
            row,
            now,
            {
                "instruction_id": str(saved["id"]),
                "leader_id": principal.subject,
                "content": content,
            },
        )
    return Changed(row, saved)


async def chase(
    db: Db, principal: Principal, step: ItemStep, now: datetime | None = None
) -> Changed:
    """催办 (office or leader; one click, optional unit and note). Recorded and
    emitted as tasks.item.chased."""
    now = now or clock.now()
    note = clean_text(step.text, "note", lc.REASON_MAX, required=False)
    async with transaction(db) as conn:
        item = await load(conn, principal, step.item_id, Operation.ITEM_CHASE)
        lc.check_item_action(item["state"], lc.ItemAction.CHASE)
        if step.unit_id is not None:
            await find_assignment(conn, step.item_id, step.unit_id)
        saved = await store.insert_chase(
            conn, uuid.uuid4(), step.item_id, step.unit_id, principal.subject, note, now
        )
        await audit(
            conn,
            principal,
            "item.chased",
            step.item_id,
            "chase",
            saved["id"],
            None,
            {"unit_id": str(step.unit_id) if step.unit_id else None, "note": note},
        )
        row = await store.update_item(conn, step.item_id)
        await emit(
            conn,
            principal,
            ev.ItemChased,
            row,
            now,
            {
                "chase_id": str(saved["id"]),
                "unit_id": str(step.unit_id) if step.unit_id else None,
                "note": note,
            },
        )
    return Changed(row, saved)
