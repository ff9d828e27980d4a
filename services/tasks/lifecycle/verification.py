"""Use-cases of the office's verification (核实): confirm or send back a unit's
completion request (optionally with an on-site inspection record, 现场查看确认) and
verify progress reports. Same shape as lifecycle.service, whose shared steps it uses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.tasks.access import Operation
from services.tasks.items.domain import clean_text
from services.tasks.lifecycle import domain as lc
from services.tasks.lifecycle import store
from services.tasks.lifecycle.steps import (
    Changed,
    audit,
    emit,
    load,
    settle,
    unit_transition,
)
from services.tasks.transaction import Db, transaction

ON_SITE_TEXT_MAX = 2000


@dataclass
class Inspection:
    """现场查看确认: an on-site inspection record."""

    inspected_on: date
    place: str
    participants: str
    findings: str


@dataclass
class CompletionDecision:
    """核实 (verify) or 退回重办 (send back) a unit's completion request."""

    item_id: uuid.UUID
    unit_id: uuid.UUID
    note: str = ""
    inspection: Inspection | None = None


@dataclass
class ReportVerification:
    """核实 a progress report: CONFIRMED or DISPUTED."""

    report_id: uuid.UUID
    result: str
    note: str = ""


# --- office decisions ---------------------------------------------------------------


def _inspection(decision: CompletionDecision) -> dict[str, Any] | None:
    i = decision.inspection
    if i is None:
        return None
    return {
        "inspected_on": i.inspected_on.isoformat(),
        "place": clean_text(i.place, "inspection.place", 200),
        "participants": clean_text(i.participants, "inspection.participants", 500),
        "findings": clean_text(i.findings, "inspection.findings", ON_SITE_TEXT_MAX),
    }


async def _decide_completion(
    db: Db, principal: Principal, d: CompletionDecision, approved: bool, now: datetime
) -> Changed:
    note = clean_text(d.note, "note", lc.REASON_MAX, required=not approved)
    inspection = _inspection(d)
    op = Operation.COMPLETION_VERIFY if approved else Operation.COMPLETION_SEND_BACK
    action = lc.AssignmentAction.VERIFY if approved else lc.AssignmentAction.SEND_BACK
    async with transaction(db) as conn:
        item, a, target = await unit_transition(conn, principal, d.item_id, d.unit_id, op, action)
        verification = await store.insert_verification(
            conn,
            id=uuid.uuid4(),
            item_id=d.item_id,
            unit_id=d.unit_id,
            approved=approved,
            note=note,
            on_site=inspection is not None,
            inspection=inspection,
            decided_by=principal.subject,
            decided_at=now,
        )
        changes: dict[str, Any] = {"state": target.value}
        if approved:
            changes["completed_at"] = now
        await store.update_assignment(conn, d.item_id, d.unit_id, **changes)
        await audit(
            conn,
            principal,
            "assignment.verified" if approved else "assignment.sent_back",
            d.item_id,
            "assignment",
            d.unit_id,
            {"state": a["state"]},
            {"state": target.value, "note": note, "inspection": inspection},
        )
        detail = {
            "unit_id": str(d.unit_id),
            "verification_id": str(verification["id"]),
            "result": "CONFIRMED" if approved else "REJECTED",
            "kind": "COMPLETION",
            "note": note,
            "on_site": inspection is not None,
        }
        contract = ev.ItemReportVerified if approved else ev.ItemSentBack
        row = await settle(conn, principal, item, contract, now, detail)
    return Changed(row, verification)


async def verify_completion(
    db: Db, principal: Principal, d: CompletionDecision, now: datetime | None = None
) -> Changed:
    """核实 (office): the unit's assignment is done (optionally with an on-site
    inspection record). Emits tasks.item.report_verified (result CONFIRMED), then
    tasks.item.completed when every assignment is done."""
    return await _decide_completion(db, principal, d, True, now or clock.now())


async def send_back(
    db: Db, principal: Principal, d: CompletionDecision, now: datetime | None = None
) -> Changed:
    """退回重办 (office, reason in ``note``): the completion request is refused.
    Emits tasks.item.sent_back."""
    return await _decide_completion(db, principal, d, False, now or clock.now())


VERIFICATION_RESULTS = ("CONFIRMED", "DISPUTED")


async def verify_report(
    db: Db, principal: Principal, v: ReportVerification, now: datetime | None = None
) -> Changed:
    """核实 a progress report (office): CONFIRMED or DISPUTED, once.
    Emits tasks.item.report_verified (kind REPORT)."""
    now = now or clock.now()
    if v.result not in VERIFICATION_RESULTS:
        raise ValidationFailed("核实结果须为 CONFIRMED 或 DISPUTED", field="result")
    note = clean_text(v.note, "note", lc.REASON_MAX, required=v.result == "DISPUTED")
    async with transaction(db) as conn:
        report = await store.get_report_for_update(conn, v.report_id)
        if report is None:
            raise NotFound("进度汇报不存在", field="reportId")
        item = await load(conn, principal, report["item_id"], Operation.REPORT_VERIFY)
        lc.check_item_action(item["state"], lc.ItemAction.VERIFY_REPORT)
        if report["verification_result"] is not None:
            raise Conflict("该汇报已核实", field="reportId")
        saved = await store.set_report_verification(
            conn, v.report_id, v.result, note, principal.subject, now
        )
        await audit(
            conn,
            principal,
            "report.verified",
            item["id"],
            "report",
            v.report_id,
            {"verification_result": None},
            {"verification_result": v.result, "note": note},
        )
        row = await store.update_item(conn, item["id"])
        await emit(
            conn,
            principal,
            ev.ItemReportVerified,
            row,
            now,
            {
                "unit_id": str(report["unit_id"]),
                "report_id": str(v.report_id),
                "result": v.result,
                "kind": "REPORT",
                "note": note,
            },
        )
    return Changed(row, saved)
