"""Use-cases of the item lifecycle: sign, return, report, request completion,
verify / send back, extensions, suspend / resume / cancel, instructions, chases.

Every function: plain async, ``(db, principal, input, now=None)`` where ``db`` is a
pool or a connection (then it runs inside the caller's transaction), one
transaction, access checked with services.tasks.access, the transition
checked with services.tasks.lifecycle.domain, one audit entry, and one outbox event
per state change carrying the item's bumped version and full snapshot.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import Conflict
from services.tasks.access import Operation
from services.tasks.items.domain import clean_text
from services.tasks.lifecycle import domain as lc
from services.tasks.lifecycle import store

# Re-exported so that callers need one module for the whole lifecycle.
from services.tasks.lifecycle.item_steps import (  # noqa: F401
    ExtensionDecision,
    ExtensionRequest,
    ItemStep,
    add_instruction,
    cancel,
    chase,
    decide_extension,
    request_extension,
    resume,
    suspend,
)
from services.tasks.lifecycle.steps import (
    Changed,
    audit,
    find_assignment,
    load,
    settle,
    unit_transition,
)
from services.tasks.lifecycle.verification import (  # noqa: F401
    CompletionDecision,
    Inspection,
    ReportVerification,
    send_back,
    verify_completion,
    verify_report,
)
from services.tasks.transaction import Db, transaction


@dataclass
class UnitStep:
    """签收 / 退回 / 重新交办: the unit's assignment on an item; reason for 退回."""

    item_id: uuid.UUID
    unit_id: uuid.UUID
    reason: str = ""


@dataclass
class ProgressReport:
    """进度汇报 of one unit. ``idempotency_key``: a resubmission is refused (Conflict)."""

    item_id: uuid.UUID
    unit_id: uuid.UUID
    percent: int
    narrative: str
    problems: str = ""
    next_steps: str = ""
    decrease_reason: str | None = None
    idempotency_key: str | None = None


@dataclass
class CompletionRequest:
    """申请办结 of one unit, with a summary of what was done."""

    item_id: uuid.UUID
    unit_id: uuid.UUID
    summary: str


# --- unit steps ---------------------------------------------------------------------


async def sign(
    db: Db, principal: Principal, step: UnitStep, now: datetime | None = None
) -> Changed:
    """签收: the unit signs for its assignment. Emits tasks.item.signed."""
    now = now or clock.now()
    async with transaction(db) as conn:
        item, a, target = await unit_transition(
            conn,
            principal,
            step.item_id,
            step.unit_id,
            Operation.ASSIGNMENT_SIGN,
            lc.AssignmentAction.SIGN,
        )
        await store.update_assignment(
            conn, step.item_id, step.unit_id, state=target.value, signed_at=now
        )
        await audit(
            conn,
            principal,
            "assignment.signed",
            step.item_id,
            "assignment",
            step.unit_id,
            {"state": a["state"]},
            {"state": target.value},
        )
        row = await settle(
            conn, principal, item, ev.ItemSigned, now, {"unit_id": str(step.unit_id)}
        )
    return Changed(row)


async def return_assignment(
    db: Db, principal: Principal, step: UnitStep, now: datetime | None = None
) -> Changed:
    """退回: the unit returns its assignment with a reason. Emits tasks.item.returned."""
    now = now or clock.now()
    reason = lc.require_reason(step.reason)
    async with transaction(db) as conn:
        item, a, target = await unit_transition(
            conn,
            principal,
            step.item_id,
            step.unit_id,
            Operation.ASSIGNMENT_RETURN,
            lc.AssignmentAction.RETURN,
        )
        await store.update_assignment(
            conn, step.item_id, step.unit_id, state=target.value, returned_reason=reason
        )
        await audit(
            conn,
            principal,
            "assignment.returned",
            step.item_id,
            "assignment",
            step.unit_id,
            {"state": a["state"]},
            {"state": target.value, "reason": reason},
        )
        row = await settle(
            conn,
            principal,
            item,
            ev.ItemReturned,
            now,
            {"unit_id": str(step.unit_id), "reason": reason},
        )
    return Changed(row)


async def reassign(
    db: Db, principal: Principal, step: UnitStep, now: datetime | None = None
) -> Changed:
    """重新交办 (office): a returned assignment goes back to the unit. Emits tasks.item.assigned."""
    now = now or clock.now()
    note = clean_text(step.reason, "reason", lc.REASON_MAX, required=False)
    async with transaction(db) as conn:
        item, a, target = await unit_transition(
            conn,
            principal,
            step.item_id,
            step.unit_id,
            Operation.ASSIGNMENT_REASSIGN,
            lc.AssignmentAction.REASSIGN,
        )
        await store.update_assignment(
            conn, step.item_id, step.unit_id, state=target.value, returned_reason=None
        )
        await audit(
            conn,
            principal,
            "assignment.reassigned",
            step.item_id,
            "assignment",
            step.unit_id,
            {"state": a["state"]},
            {"state": target.value, "note": note},
        )
        row = await settle(
            conn,
            principal,
            item,
            ev.ItemAssigned,
            now,
            {"unit_id": str(step.unit_id), "note": note},
        )
    return Changed(row)


async def report_progress(
    db: Db, principal: Principal, report: ProgressReport, now: datetime | None = None
) -> Changed:
    """进度汇报: percent never decreases without a reason; a repeated idempotency key
    is refused with a Conflict and changes nothing. Emits tasks.item.progress_reported."""
    now = now or clock.now()
    narrative = clean_text(report.narrative, "narrative", lc.NARRATIVE_MAX)
    problems = clean_text(report.problems, "problems", lc.NARRATIVE_MAX, required=False)
    next_steps = clean_text(report.next_steps, "nextSteps", lc.NARRATIVE_MAX, required=False)
    key = lc.check_idempotency_key(report.idempotency_key)
    async with transaction(db) as conn:
        item = await load(
            conn, principal, report.item_id, Operation.PROGRESS_REPORT, report.unit_id
        )
        if key and await store.find_report_by_key(conn, report.item_id, report.unit_id, key):
            raise Conflict("该汇报已提交过（重复提交）", field="idempotencyKey")
        a = await find_assignment(conn, report.item_id, report.unit_id)
        target = lc.next_assignment_state(item["state"], a["state"], lc.AssignmentAction.REPORT)
        reason = lc.check_percent(a["percent"], report.percent, report.decrease_reason)
        try:
            saved = await store.insert_report(
                conn,
                id=uuid.uuid4(),
                item_id=report.item_id,
                unit_id=report.unit_id,
                percent=report.percent,
                narrative=narrative,
                problems=problems,
                next_steps=next_steps,
                decrease_reason=reason,
                idempotency_key=key,
                reported_by=principal.subject,
                reported_at=now,
            )
        except asyncpg.UniqueViolationError as e:
            raise Conflict("该汇报已提交过（重复提交）", field="idempotencyKey") from e
        await store.update_assignment(
            conn,
            report.item_id,
            report.unit_id,
            state=target.value,
            percent=report.percent,
            last_report_at=now,
        )
        await audit(
            conn,
            principal,
            "report.submitted",
            report.item_id,
            "report",
            saved["id"],
            {"percent": a["percent"], "state": a["state"]},
            {
                "percent": report.percent,
                "state": target.value,
                "narrative": narrative,
                "problems": problems,
                "next_steps": next_steps,
                "decrease_reason": reason,
            },
        )
        row = await settle(
            conn,
            principal,
            item,
            ev.ItemProgressReported,
            now,
            {
                "unit_id": str(report.unit_id),
                "report_id": str(saved["id"]),
                "percent": report.percent,
                "previous_percent": a["percent"],
            },
        )
    return Changed(row, saved)


async def request_completion(
    db: Db, principal: Principal, req: CompletionRequest, now: datetime | None = None
) -> Changed:
    """申请办结: the unit's assignment goes to the office for verification (percent 100).
    Emits tasks.item.completion_requested."""
    now = now or clock.now()
    summary = clean_text(req.summary, "summary", lc.NARRATIVE_MAX)
    async with transaction(db) as conn:
        item, a, target = await unit_transition(
            conn,
            principal,
            req.item_id,
            req.unit_id,
            Operation.COMPLETION_REQUEST,
            lc.AssignmentAction.REQUEST_COMPLETION,
        )
        await store.update_assignment(
            conn,
            req.item_id,
            req.unit_id,
            state=target.value,
            percent=100,
            completion_requested_at=now,
        )
        await audit(
            conn,
            principal,
            "assignment.completion_requested",
            req.item_id,
            "assignment",
            req.unit_id,
            {"state": a["state"], "percent": a["percent"]},
            {"state": target.value, "percent": 100, "summary": summary},
        )
        row = await settle(
            conn,
            principal,
            item,
            ev.ItemCompletionRequested,
            now,
            {"unit_id": str(req.unit_id), "summary": summary},
        )
    return Changed(row)
