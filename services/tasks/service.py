"""Use-cases of the tasks service: transaction, domain rules, store, outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from services.contracts import tasks as ev
from services.core.auth import Principal, Role
from services.core.errors import Forbidden, NotFound
from services.core.outbox import record_event
from services.tasks import store
from services.tasks.domain.items import (
    CONTENT_MAX,
    TITLE_MAX,
    ItemState,
    PlanNode,
    ReportingCycle,
    Source,
    clean_text,
    format_code,
    validate_schedule,
)


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


def item_snapshot(row: asyncpg.Record) -> ev.ItemSnapshot:
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
    )


def _require_office(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以执行此操作")


async def create_unit(
    pool: asyncpg.Pool, principal: Principal, code: str, name: str, kind: str, category: str
) -> asyncpg.Record:
    _require_office(principal)
    values = {
        "id": uuid.uuid4(),
        "code": clean_text(code, "code", 32),
        "name": clean_text(name, "name", 100),
        "kind": kind,
        "category": clean_text(category, "category", 50),
    }
    async with pool.acquire() as conn, conn.transaction():
        row = await store.insert_unit(conn, **values)
        event = ev.UnitUpserted(
            id=str(row["id"]),
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            category=row["category"],
        )
        await record_event(conn, event.envelope(str(row["id"]), row["version"]))
    return row


async def create_person(pool: asyncpg.Pool, principal: Principal, **p: Any) -> asyncpg.Record:
    _require_office(principal)
    values = dict(p, id=uuid.uuid4(), name=clean_text(p["name"], "name", 50))
    async with pool.acquire() as conn, conn.transaction():
        if values.get("unit_id") and not await store.list_units_by_ids(conn, [values["unit_id"]]):
            raise NotFound("单位不存在", field="unitId")
        row = await store.insert_person(conn, **values)
        event = ev.PersonUpserted(
            id=str(row["id"]),
            name=row["name"],
            unit_id=str(row["unit_id"]) if row["unit_id"] else None,
            rank=row["rank"],
            position=row["position"],
            mobile=row["mobile"],
            wecom_user_id=row["wecom_user_id"],
            email=row["email"],
            roles=list(row["roles"]),
        )
        await record_event(conn, event.envelope(str(row["id"]), row["version"]))
    return row


async def create_item(pool: asyncpg.Pool, principal: Principal, new: NewItem) -> asyncpg.Record:
    _require_office(principal)
    title = clean_text(new.title, "title", TITLE_MAX)
    content = clean_text(new.content, "content", CONTENT_MAX, required=False)
    validate_schedule(new.start_date, new.deadline, new.plan_nodes)
    async with pool.acquire() as conn, conn.transaction():
        unit_ids = [new.lead_unit_id, *new.co_unit_ids]
        found = {r["id"] for r in await store.list_units_by_ids(conn, unit_ids)}
        if missing := [u for u in unit_ids if u not in found]:
            raise NotFound(f"单位不存在: {missing[0]}", field="leadUnitId")
        number = await store.next_item_number(conn, new.start_date.year)
        row = await store.insert_item(
            conn,
            id=uuid.uuid4(),
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
        )
        event = ev.ItemCreated(item=item_snapshot(row), actor_id=principal.subject)
        await record_event(conn, event.envelope(str(row["id"]), row["version"]))
    return row
