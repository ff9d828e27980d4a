"""Use-cases of supervision items: 立项交办 (create and assign), and the item snapshot
every item event carries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg

from services.contracts import tasks as ev
from services.core import clock
from services.core.auth import Principal
from services.core.errors import NotFound, ValidationFailed
from services.core.outbox import record_event
from services.tasks.access import require_office
from services.tasks.audit.service import append_audit
from services.tasks.items import store
from services.tasks.items.domain import (
    CONTENT_MAX,
    TITLE_MAX,
    DuplicateSuspected,
    ItemState,
    PlanNode,
    ReportingCycle,
    Source,
    clean_text,
    find_duplicates,
    format_code,
    validate_schedule,
)
from services.tasks.lifecycle import store as lifecycle_store
from services.tasks.org import store as org_store
from services.tasks.transaction import Db, transaction


@dataclass
class NewItem:
    title: str
    lead_unit_id: uuid.UUID
    start_date: date
    deadline: date
    source: Source = Source.KEY_WORK
    content: str = ""
    importance: int = 1
    difficulty: float = 1.0
    reporting_cycle: ReportingCycle = ReportingCycle.WEEKLY
    co_unit_ids: list[uuid.UUID] = field(default_factory=list)
    responsible_leader_id: uuid.UUID | None = None
    owner_ids: list[uuid.UUID] = field(default_factory=list)
    plan_nodes: list[PlanNode] = field(default_factory=list)
    source_document_no: str | None = None
    confirm_duplicate: bool = False


def assignment_snapshots(rows: list[dict[str, Any]] | None) -> list[ev.AssignmentSnapshot]:
    return [ev.AssignmentSnapshot(**{k: a[k] for k in a if k != "item_id"}) for a in rows or []]


def item_snapshot(row: Any) -> ev.ItemSnapshot:
    """The full snapshot carried by every item event (assignments included when the
    row was read with items.store.ITEM_COLUMNS)."""
    keys = row.keys()
    return ev.ItemSnapshot(
        id=str(row["id"]),
        code=row["code"],
        title=row["title"],
        source=row["source"],
        importance=row["importance"],
        difficulty=float(row["difficulty"]),
        start_date=row["start_date"],
        deadline=row["deadline"],
        original_deadline=row["original_deadline"],
        reporting_cycle=row["reporting_cycle"],
        state=row["state"],
        lead_unit_id=str(row["lead_unit_id"]),
        co_unit_ids=[str(u) for u in row["co_unit_ids"]],
        responsible_leader_id=(
            str(row["responsible_leader_id"]) if row["responsible_leader_id"] else None
        ),
        owner_ids=[str(o) for o in row["owner_ids"]],
        plan_nodes=[ev.PlanNode(**n) for n in row["plan_nodes"]],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        assignments=assignment_snapshots(row["assignments"] if "assignments" in keys else None),
    )


def _check_new_item(new: NewItem) -> tuple[str, str]:
    title = clean_text(new.title, "title", TITLE_MAX)
    content = clean_text(new.content, "content", CONTENT_MAX, required=False)
    validate_schedule(new.start_date, new.deadline, new.plan_nodes)
    if not 1 <= new.importance <= 5:
        raise ValidationFailed("重要程度须在 1–5 之间", field="importance")
    if not 0.1 <= new.difficulty <= 10:
        raise ValidationFailed("难度系数须在 0.1–10 之间", field="difficulty")
    if new.lead_unit_id in new.co_unit_ids or len(set(new.co_unit_ids)) != len(new.co_unit_ids):
        raise ValidationFailed("配合单位不能重复，也不能包含牵头单位", field="coUnitIds")
    return title, content


async def create_item(
    db: Db, principal: Principal, new: NewItem, now: datetime | None = None
) -> asyncpg.Record:
    """立项交办 (office): the item and one ASSIGNED assignment per unit (lead + co-units).

    An open item with the same source document number, or of the same lead unit with a
    similar title, stops it with DuplicateSuspected unless ``confirm_duplicate``.

    Emits tasks.item.created (version 1) with the full snapshot; code DB-YYYY-NNNN
    gap-free per year of the start date.
    """
    require_office(principal)
    title, content = _check_new_item(new)
    now = now or clock.now()
    async with transaction(db) as conn:
        unit_ids = [new.lead_unit_id, *new.co_unit_ids]
        found = {r["id"] for r in await org_store.list_units_by_ids(conn, unit_ids)}
        if missing := [u for u in unit_ids if u not in found]:
            field_name = "leadUnitId" if missing[0] == new.lead_unit_id else "coUnitIds"
            raise NotFound(f"单位不存在: {missing[0]}", field=field_name)
        leader = [new.responsible_leader_id] if new.responsible_leader_id else []
        people = [*new.owner_ids, *leader]
        known = {r["id"] for r in await org_store.list_people_by_ids(conn, people)}
        if unknown := [p for p in people if p not in known]:
            field_name = "ownerIds" if unknown[0] in new.owner_ids else "responsibleLeaderId"
            raise NotFound(f"人员不存在: {unknown[0]}", field=field_name)
        document_no = clean_text(new.source_document_no or "", "sourceDocumentNo", 100, False)
        if not new.confirm_duplicate:
            rows = await store.list_duplicate_candidates(
                conn, new.lead_unit_id, document_no or None
            )
            suspects = find_duplicates(
                title, str(new.lead_unit_id), document_no or None, [dict(r) for r in rows]
            )
            if suspects:
                raise DuplicateSuspected(suspects)
        number = await store.next_item_number(conn, new.start_date.year)
        item_id = uuid.uuid4()
        await store.insert_item(
            conn,
            id=item_id,
            code=format_code(new.start_date.year, number),
            title=title,
            content=content,
            source=new.source.value,
            importance=new.importance,
            difficulty=new.difficulty,
            start_date=new.start_date,
            deadline=new.deadline,
            reporting_cycle=new.reporting_cycle.value,
            state=ItemState.ASSIGNED.value,
            lead_unit_id=new.lead_unit_id,
            co_unit_ids=new.co_unit_ids,
            responsible_leader_id=new.responsible_leader_id,
            owner_ids=new.owner_ids,
            plan_nodes=[{"date": n.date.isoformat(), "percent": n.percent} for n in new.plan_nodes],
            created_by=principal.subject,
            created_at=now,
            source_document_no=document_no or None,
        )
        await lifecycle_store.insert_assignments(
            conn,
            item_id,
            [(new.lead_unit_id, "LEAD"), *((u, "CO") for u in new.co_unit_ids)],
            "ASSIGNED",
        )
        row = (await store.list_items_by_ids(conn, [item_id]))[0]
        snapshot = item_snapshot(row)
        event = ev.ItemCreated(item=snapshot, actor_id=principal.subject)
        await record_event(conn, event.envelope(str(item_id), row["version"], occurred_at=now))
        await append_audit(
            conn,
            actor_id=principal.subject,
            action="item.created",
            subject_type="item",
            subject_id=str(item_id),
            item_id=item_id,
            after=snapshot.model_dump(mode="json", exclude={"assignments"}),
        )
    return row
