"""Use-cases of supervision notices (督查通知单): issue, acknowledge, render."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import Conflict, Forbidden, NotFound
from services.core.ids import try_uuid
from services.core.offload import off_loop
from services.core.outbox import record_event
from services.tasks.access import ItemScope, Operation, can
from services.tasks.audit.service import append_audit
from services.tasks.items.domain import clean_text
from services.tasks.items.service import item_snapshot
from services.tasks.lifecycle import store as lifecycle_store
from services.tasks.notices import domain, store
from services.tasks.transaction import Db, transaction


@dataclass(frozen=True)
class IssuedNotice:
    notice: asyncpg.Record
    item: asyncpg.Record


def _notice_audit(row: asyncpg.Record, recipients: list[domain.Recipient]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "content": row["content"],
        "response_deadline": row["response_deadline"].isoformat(),
        "recipients": [{"person_id": str(r.person_id), "role": r.role.value} for r in recipients],
    }


async def issue_notice(
    db: Db,
    principal: Principal,
    item_id: uuid.UUID,
    recipients: list[domain.Recipient],
    response_deadline: date,
    content: str = "",
    now: datetime | None = None,
) -> IssuedNotice:
    """下发督查通知单 (office). ``db``: a pool, or a connection to batch in its transaction."""
    if not can(principal, Operation.NOTICE_ISSUE, ItemScope()):
        raise Forbidden("只有督查办可以下发督查通知单")
    now = now or clock.now()
    text = clean_text(content, "content", domain.CONTENT_MAX, required=False)
    async with transaction(db) as conn:
        return await _issue(conn, principal, item_id, recipients, response_deadline, text, now)


async def _issue(
    conn: asyncpg.Connection,
    principal: Principal,
    item_id: uuid.UUID,
    recipients: list[domain.Recipient],
    response_deadline: date,
    text: str,
    now: datetime,
) -> IssuedNotice:
    item = await store.lock_item(conn, item_id)
    if item is None:
        raise NotFound("督办事项不存在", field="itemId")
    scope = ItemScope.of(
        item["lead_unit_id"], item["co_unit_ids"], item["owner_ids"], item["responsible_leader_id"]
    )
    if not can(principal, Operation.NOTICE_ISSUE, scope):
        raise Forbidden("只有督查办可以下发督查通知单")
    facts = domain.ItemFacts(
        state=item["state"],
        unit_ids=frozenset([item["lead_unit_id"], *item["co_unit_ids"]]),
        owner_ids=frozenset(item["owner_ids"]),
        responsible_leader_id=item["responsible_leader_id"],
    )
    people = await store.units_of_people(conn, [r.person_id for r in recipients])
    issued_on = clock.local_date(now)
    domain.validate_issue(facts, recipients, people, issued_on, response_deadline)
    text = text or domain.default_content(item["title"], response_deadline)
    number = await store.next_notice_number(conn, issued_on.year)
    notice = await store.insert_notice(
        conn,
        id=uuid.uuid4(),
        item_id=item_id,
        year=issued_on.year,
        number=number,
        code=domain.format_notice_code(issued_on.year, number),
        content=text,
        response_deadline=response_deadline,
        issued_by=principal.subject,
        issued_at=now,
    )
    await store.insert_recipients(
        conn, notice["id"], [(r.person_id, r.role.value) for r in recipients]
    )
    item = await lifecycle_store.update_item(conn, item_id)  # version + 1
    event = ev.ItemNoticeIssued(
        item=item_snapshot(item),
        actor_id=principal.subject,
        detail={
            "notice_id": str(notice["id"]),
            "code": notice["code"],
            "response_deadline": response_deadline.isoformat(),
            "recipients": [
                {"person_id": str(r.person_id), "role": r.role.value} for r in recipients
            ],
        },
    )
    await record_event(conn, event.envelope(str(item_id), item["version"], occurred_at=now))
    await append_audit(
        conn,
        actor_id=principal.subject,
        action="notice.issued",
        subject_type="notice",
        subject_id=str(notice["id"]),
        item_id=item_id,
        after=_notice_audit(notice, recipients),
    )
    return IssuedNotice(notice=notice, item=item)


async def acknowledge_notice(
    db: Db,
    principal: Principal,
    notice_id: uuid.UUID,
    note: str | None = None,
    now: datetime | None = None,
) -> asyncpg.Record:
    """The recipient who is calling acknowledges (签收) the notice; once. Emits
    tasks.notice.acknowledged (alerts stops reminding that recipient)."""
    now = now or clock.now()
    text = clean_text(note or "", "note", domain.NOTE_MAX, required=False) or None
    async with transaction(db) as conn:
        return await _acknowledge(conn, principal, notice_id, text, now)


async def _acknowledge(
    conn: asyncpg.Connection,
    principal: Principal,
    notice_id: uuid.UUID,
    text: str | None,
    now: datetime,
) -> asyncpg.Record:
    notice = await store.get_notice(conn, notice_id)
    if notice is None:
        raise NotFound("督查通知单不存在", field="noticeId")
    person = try_uuid(principal.subject)
    if person is None:
        raise Forbidden("只有通知单的接收人可以签收")
    recipient = await store.get_recipient_for_update(conn, notice_id, person)
    if recipient is None:
        raise Forbidden("只有通知单的接收人可以签收")
    if recipient["acknowledged_at"] is not None:
        raise Conflict("该通知单已签收", field="noticeId")
    row = await store.acknowledge(conn, notice_id, person, now, text)
    await append_audit(
        conn,
        actor_id=principal.subject,
        action="notice.acknowledged",
        subject_type="notice",
        subject_id=str(notice_id),
        item_id=notice["item_id"],
        before={"acknowledged_at": None},
        after={"acknowledged_at": now.isoformat(), "note": text},
    )
    acks = await store.acknowledgement_counts(conn, notice_id)
    event = ev.NoticeAcknowledged(
        notice_id=str(notice_id),
        item_id=str(notice["item_id"]),
        code=notice["code"],
        person_id=str(person),
        acknowledged_at=now,
        note=text,
        remaining=acks["total"] - acks["done"],
        unit_ids=await store.item_unit_ids(conn, notice["item_id"]),
    )
    await record_event(conn, event.envelope(str(notice_id), 1 + acks["done"], occurred_at=now))
    return row


async def render_notice_docx(pool: asyncpg.Pool, notice_id: uuid.UUID) -> tuple[str, bytes] | None:
    """(file name, .docx bytes) of a notice, or None when it does not exist."""
    from services.tasks.notices.document import NoticeDocument, build_docx

    async with pool.acquire() as conn:
        facts = await store.notice_document_facts(conn, notice_id)
        if facts is None:
            return None
        recipients = await store.list_recipients_by_notices(conn, [notice_id])
    doc = NoticeDocument.from_facts(facts, [dict(r) for r in recipients])
    return doc.file_name, await off_loop(build_docx, doc, what="docx-notice")
