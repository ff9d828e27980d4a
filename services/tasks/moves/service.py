"""Use-cases of the office's moves: 修改 (edit), 转办 (transfer), 调整时限 (deadline
re-set), 代录批示 (an instruction recorded on a leader's behalf) and its confirmation.

Same shape as lifecycle.service: ``(db, principal, input, now=None)``, one
transaction, access through services.tasks.access (via lifecycle.steps.load), rules
in moves.domain, one audit entry with the before/after, one event carrying the
bumped version and the full snapshot (alerts re-colours and reminds from it;
evaluation projects it).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.tasks.access import Operation
from services.tasks.items.domain import (
    CONTENT_MAX,
    TITLE_MAX,
    PlanNode,
    ReportingCycle,
    Source,
    clean_text,
)
from services.tasks.lifecycle import domain as lc
from services.tasks.lifecycle import store as lifecycle_store
from services.tasks.lifecycle.steps import Changed, audit, emit, load, settle
from services.tasks.moves import domain, store
from services.tasks.org import store as org_store
from services.tasks.transaction import Db, transaction

DOC_NO_MAX = 100
UNSET: Any = object()


@dataclass
class ItemEdit:
    """修改: only the fields given change (``UNSET`` leaves a field alone). ``reason``
    is required when a co-unit that has reported is removed."""

    item_id: uuid.UUID
    title: Any = UNSET
    content: Any = UNSET
    source: Any = UNSET
    source_document_no: Any = UNSET
    owner_ids: Any = UNSET
    responsible_leader_id: Any = UNSET
    co_unit_ids: Any = UNSET
    reporting_cycle: Any = UNSET
    plan_nodes: Any = UNSET
    reason: str = ""


@dataclass
class Transfer:
    """转办: ``from_unit_id``'s assignment (lead or co) goes to ``to_unit_id``."""

    item_id: uuid.UUID
    from_unit_id: uuid.UUID
    to_unit_id: uuid.UUID
    reason: str


@dataclass
class DeadlineReset:
    """调整时限 on the instruction of ``leader_id``."""

    item_id: uuid.UUID
    new_deadline: date
    reason: str
    leader_id: uuid.UUID


@dataclass
class RecordedInstruction:
    """代录批示: the office enters ``leader_id``'s instruction given on ``instructed_on``."""

    item_id: uuid.UUID
    leader_id: uuid.UUID
    content: str
    instructed_on: date
    scan: domain.Scan | None = None


async def _check_people(
    conn: asyncpg.Connection, ids: list[uuid.UUID], field_name: str
) -> list[asyncpg.Record]:
    rows = await org_store.list_people_by_ids(conn, ids)
    known = {r["id"] for r in rows}
    if unknown := [p for p in ids if p not in known]:
        raise NotFound(f"人员不存在: {unknown[0]}", field=field_name)
    return rows


async def _check_units(conn: asyncpg.Connection, ids: list[uuid.UUID], field_name: str) -> None:
    known = {r["id"] for r in await org_store.list_units_by_ids(conn, ids)}
    if unknown := [u for u in ids if u not in known]:
        raise NotFound(f"单位不存在: {unknown[0]}", field=field_name)


def _clean_values(edit: ItemEdit) -> dict[str, Any]:
    """The given fields, cleaned (pure checks that need no database)."""
    v: dict[str, Any] = {}
    if edit.title is not UNSET:
        v["title"] = clean_text(edit.title, "title", TITLE_MAX)
    if edit.content is not UNSET:
        v["content"] = clean_text(edit.content or "", "content", CONTENT_MAX, required=False)
    if edit.source is not UNSET:
        v["source"] = Source(edit.source).value
    if edit.source_document_no is not UNSET:
        doc = clean_text(edit.source_document_no or "", "sourceDocumentNo", DOC_NO_MAX, False)
        v["source_document_no"] = doc or None
    if edit.owner_ids is not UNSET:
        if len(set(edit.owner_ids)) != len(edit.owner_ids):
            raise ValidationFailed("具体负责人不能重复", field="ownerIds")
        v["owner_ids"] = list(edit.owner_ids)
    if edit.responsible_leader_id is not UNSET:
        v["responsible_leader_id"] = edit.responsible_leader_id
    if edit.co_unit_ids is not UNSET:
        v["co_unit_ids"] = list(edit.co_unit_ids)
    if edit.reporting_cycle is not UNSET:
        v["reporting_cycle"] = ReportingCycle(edit.reporting_cycle).value
    if edit.plan_nodes is not UNSET:
        v["plan_nodes"] = list(edit.plan_nodes)
    return v


def _plan_json(nodes: list[PlanNode]) -> list[dict[str, Any]]:
    return [{"date": n.date.isoformat(), "percent": n.percent} for n in nodes]


async def update_item(
    db: Db, principal: Principal, edit: ItemEdit, now: datetime | None = None
) -> Changed:
    """修改 (office): one audited step with each changed field's before/after; emits
    tasks.item.updated. Added co-units get an assignment; removed ones are WITHDRAWN
    (a reported one only with a reason) and stay in the history."""
    now = now or clock.now()
    values = _clean_values(edit)
    reason = clean_text(edit.reason, "reason", lc.REASON_MAX, required=False)
    async with transaction(db) as conn:
        item = await load(conn, principal, edit.item_id, Operation.ITEM_UPDATE)
        lc.check_item_action(item["state"], lc.ItemAction.UPDATE)
        if "owner_ids" in values:
            await _check_people(conn, values["owner_ids"], "ownerIds")
        if values.get("responsible_leader_id") is not None:
            await _check_people(conn, [values["responsible_leader_id"]], "responsibleLeaderId")
        if "co_unit_ids" in values:
            domain.check_co_units(item["lead_unit_id"], values["co_unit_ids"])
            await _check_units(conn, values["co_unit_ids"], "coUnitIds")
        if "plan_nodes" in values:
            domain.check_plan(item["start_date"], item["deadline"], values["plan_nodes"])
            values["plan_nodes"] = _plan_json(values["plan_nodes"])
        changes = domain.field_changes(dict(item), values)
        if not changes:
            raise ValidationFailed("没有需要修改的内容", field="input")
        added_units: list[str] = []
        removed_units: list[str] = []
        if "co_unit_ids" in changes:
            added_units, removed_units = domain.added_removed(
                item["co_unit_ids"], values["co_unit_ids"]
            )
            current = {
                str(a["unit_id"]): a
                for a in await lifecycle_store.list_assignments(conn, item["id"])
            }
            for unit in removed_units:
                a = current.get(unit)
                if a is None or a["state"] in lc.ENDED_ASSIGNMENT_STATES:
                    continue
                domain.check_withdrawal(a, reason)
                await store.end_assignment(
                    conn, item["id"], uuid.UUID(unit), "WITHDRAWN", reason or "修改配合单位", now
                )
            for unit in added_units:
                await store.join_assignment(conn, item["id"], uuid.UUID(unit), "CO")
        await store.set_item_fields(conn, item["id"], {k: values[k] for k in changes})
        added_owners, removed_owners = (
            domain.added_removed(item["owner_ids"], values["owner_ids"])
            if "owner_ids" in changes
            else ([], [])
        )
        before = {k: c["before"] for k, c in changes.items()}
        after = {k: c["after"] for k, c in changes.items()}
        if reason:
            after["reason"] = reason
        await audit(conn, principal, "item.updated", item["id"], "item", item["id"], before, after)
        detail = {
            "changes": changes,
            "changed_fields": list(changes),
            "added_owner_ids": added_owners,
            "removed_owner_ids": removed_owners,
            "added_unit_ids": added_units,
            "removed_unit_ids": removed_units,
            "previous_responsible_leader_id": before.get("responsible_leader_id"),
            "reason": reason,
        }
        row = await settle(conn, principal, item, ev.ItemUpdated, now, detail)
    return Changed(row)


async def transfer(
    db: Db, principal: Principal, t: Transfer, now: datetime | None = None
) -> Changed:
    """转办 (office): after a 退回, or before the lead unit has reported. The old unit's
    assignment becomes TRANSFERRED (history, not scored); the new unit's is ASSIGNED and
    must be signed for. Emits tasks.item.transferred."""
    now = now or clock.now()
    reason = lc.require_reason(t.reason)
    async with transaction(db) as conn:
        item = await load(conn, principal, t.item_id, Operation.ITEM_TRANSFER)
        lc.check_item_action(item["state"], lc.ItemAction.TRANSFER)
        await _check_units(conn, [t.to_unit_id], "toUnitId")
        assignments = await lifecycle_store.list_assignments(conn, t.item_id)
        by_unit = {a["unit_id"]: a for a in assignments}
        a = by_unit.get(t.from_unit_id)
        if a is None:
            raise NotFound("该单位不是此事项的承办单位", field="fromUnitId")
        lead = by_unit.get(item["lead_unit_id"])
        target = by_unit.get(t.to_unit_id)
        active = target is not None and target["state"] not in lc.ENDED_ASSIGNMENT_STATES
        domain.check_transfer(a, lead, active)
        await store.end_assignment(
            conn, t.item_id, t.from_unit_id, "TRANSFERRED", reason, now, t.to_unit_id
        )
        await store.join_assignment(conn, t.item_id, t.to_unit_id, a["role"])
        if a["role"] == "LEAD":
            fields: dict[str, Any] = {"lead_unit_id": t.to_unit_id}
        else:
            fields = {
                "co_unit_ids": [
                    t.to_unit_id if u == t.from_unit_id else u for u in item["co_unit_ids"]
                ]
            }
        await store.set_item_fields(conn, t.item_id, fields)
        await audit(
            conn,
            principal,
            "assignment.transferred",
            t.item_id,
            "assignment",
            t.from_unit_id,
            {"unit_id": str(t.from_unit_id), "state": a["state"], "role": a["role"]},
            {"unit_id": str(t.to_unit_id), "state": "ASSIGNED", "reason": reason},
        )
        detail = {
            "from_unit_id": str(t.from_unit_id),
            "to_unit_id": str(t.to_unit_id),
            "role": a["role"],
            "previous_state": a["state"],
            "reason": reason,
        }
        row = await settle(conn, principal, item, ev.ItemTransferred, now, detail)
    return Changed(row)


async def reset_deadline(
    db: Db, principal: Principal, r: DeadlineReset, now: datetime | None = None
) -> Changed:
    """调整时限 (office, on a leader's instruction) on any open item, overdue or not.
    ``original_deadline`` is kept for assessment. Emits tasks.item.deadline_reset."""
    now = now or clock.now()
    reason = lc.require_reason(r.reason)
    async with transaction(db) as conn:
        item = await load(conn, principal, r.item_id, Operation.DEADLINE_RESET)
        lc.check_item_action(item["state"], lc.ItemAction.RESET_DEADLINE)
        leader = (await _check_people(conn, [r.leader_id], "leaderId"))[0]
        if "LEADER" not in leader["roles"]:
            raise ValidationFailed("指示调整时限的须为区领导", field="leaderId")
        nodes = [PlanNode(date.fromisoformat(n["date"]), n["percent"]) for n in item["plan_nodes"]]
        domain.check_deadline_reset(item["start_date"], item["deadline"], r.new_deadline, nodes)
        saved = await store.insert_deadline_reset(
            conn,
            id=uuid.uuid4(),
            item_id=r.item_id,
            old_deadline=item["deadline"],
            new_deadline=r.new_deadline,
            reason=reason,
            leader_id=r.leader_id,
            reset_by=principal.subject,
            reset_at=now,
        )
        row = await lifecycle_store.update_item(conn, r.item_id, deadline=r.new_deadline)
        await audit(
            conn,
            principal,
            "item.deadline_reset",
            r.item_id,
            "item",
            r.item_id,
            {"deadline": item["deadline"].isoformat()},
            {
                "deadline": r.new_deadline.isoformat(),
                "original_deadline": item["original_deadline"].isoformat(),
                "reason": reason,
                "leader_id": str(r.leader_id),
            },
        )
        await emit(
            conn,
            principal,
            ev.ItemDeadlineReset,
            row,
            now,
            {
                "reset_id": str(saved["id"]),
                "previous_deadline": item["deadline"].isoformat(),
                "deadline": r.new_deadline.isoformat(),
                "original_deadline": item["original_deadline"].isoformat(),
                "reason": reason,
                "leader_id": str(r.leader_id),
                "overdue": clock.local_date(now) > item["deadline"],
            },
        )
    return Changed(row, saved)


async def record_instruction(
    db: Db, principal: Principal, r: RecordedInstruction, now: datetime | None = None
) -> Changed:
    """代录批示 (office): the instruction is the leader's (``leader_id``), entered by the
    caller (``entered_by``); the audit entry names both. Emits
    tasks.item.instruction_added with ``on_behalf`` set."""
    now = now or clock.now()
    content = clean_text(r.content, "content", lc.NARRATIVE_MAX)
    domain.check_instructed_on(r.instructed_on, clock.local_date(now))
    async with transaction(db) as conn:
        item = await load(conn, principal, r.item_id, Operation.INSTRUCTION_RECORD)
        lc.check_item_action(item["state"], lc.ItemAction.INSTRUCT)
        leader = (await _check_people(conn, [r.leader_id], "leaderId"))[0]
        if "LEADER" not in leader["roles"]:
            raise ValidationFailed("批示人须为区领导", field="leaderId")
        saved = await store.insert_recorded_instruction(
            conn,
            uuid.uuid4(),
            r.item_id,
            str(r.leader_id),
            content,
            r.instructed_on,
            principal.subject,
            now,
        )
        scan: dict[str, Any] | None = None
        if r.scan is not None:
            digest = hashlib.sha256(r.scan.data).hexdigest()
            await store.insert_scan(
                conn, saved["id"], r.scan.name, r.scan.content_type, digest, r.scan.data
            )
            scan = {"name": r.scan.name, "size": len(r.scan.data), "sha256": digest}
        await audit(
            conn,
            principal,
            "instruction.recorded",
            r.item_id,
            "instruction",
            saved["id"],
            None,
            {
                "content": content,
                "leader_id": str(r.leader_id),
                "leader_name": leader["name"],
                "entered_by": principal.subject,
                "instructed_on": r.instructed_on.isoformat(),
                "scan": scan,
            },
        )
        row = await lifecycle_store.update_item(conn, r.item_id)
        await emit(
            conn,
            principal,
            ev.ItemInstructionAdded,
            row,
            now,
            {
                "instruction_id": str(saved["id"]),
                "leader_id": str(r.leader_id),
                "entered_by": principal.subject,
                "on_behalf": True,
                "instructed_on": r.instructed_on.isoformat(),
                "content": content,
            },
        )
    return Changed(row, saved)


async def confirm_instruction(
    db: Db, principal: Principal, instruction_id: uuid.UUID, now: datetime | None = None
) -> Changed:
    """The leader confirms an instruction the office recorded in their name. Emits
    tasks.item.instruction_confirmed."""
    now = now or clock.now()
    async with transaction(db) as conn:
        found = await store.get_instruction_for_update(conn, instruction_id)
        if found is None:
            raise NotFound("批示不存在", field="instructionId")
        item = await load(conn, principal, found["item_id"], Operation.INSTRUCTION_CONFIRM)
        if found["leader_id"] != principal.subject:
            raise Forbidden("只能确认以本人名义录入的批示")
        if found["entered_by"] is None:
            raise Conflict("本人录入的批示无需确认", field="instructionId")
        if found["confirmed_at"] is not None:
            raise Conflict("该批示已确认", field="instructionId")
        saved = await store.confirm_instruction(conn, instruction_id, now)
        await audit(
            conn,
            principal,
            "instruction.confirmed",
            item["id"],
            "instruction",
            instruction_id,
            {"confirmed_at": None},
            {"confirmed_at": now.isoformat(), "entered_by": found["entered_by"]},
        )
        row = await lifecycle_store.update_item(conn, item["id"])
        await emit(
            conn,
            principal,
            ev.ItemInstructionConfirmed,
            row,
            now,
            {"instruction_id": str(instruction_id), "leader_id": principal.subject},
        )
    return Changed(row, saved)


async def instructions_of_leader(
    db: Db, leader_id: str, unconfirmed_only: bool, limit: int
) -> list[asyncpg.Record]:
    async with transaction(db) as conn:
        return await store.list_instructions_of_leader(conn, leader_id, unconfirmed_only, limit)
