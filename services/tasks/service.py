"""Use-cases of the tasks service: transaction, domain rules, store, outbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

import asyncpg

from services.contracts import tasks as ev
from services.core.auth import Principal, Role
from services.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.core.outbox import record_event
from services.tasks import store, store_lifecycle
from services.tasks.audit import append_audit
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


Db: TypeAlias = "asyncpg.Pool | asyncpg.Connection | Any"


@asynccontextmanager
async def transaction(db: Any) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on a pool (acquire + begin) or inside a caller's connection
    (a savepoint), so use-cases run alone or batched in one transaction (demo data)."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            yield conn
    else:
        async with db.transaction():
            yield db


def assignment_snapshots(rows: list[dict[str, Any]] | None) -> list[ev.AssignmentSnapshot]:
    return [ev.AssignmentSnapshot(**{k: a[k] for k in a if k != "item_id"}) for a in rows or []]


def item_snapshot(row: Any) -> ev.ItemSnapshot:
    """The full snapshot carried by every item event (assignments included when the
    row was read with store.ITEM_COLUMNS)."""
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


def _require_office(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以执行此操作")


UNIT_KINDS = ("STREET", "TOWNSHIP", "DEPARTMENT", "OTHER")
UNIT_FIELDS = ("code", "name", "kind", "category")
PERSON_FIELDS = ("name", "unit_id", "rank", "position", "mobile", "wecom_user_id", "email", "roles")


@dataclass
class UnitChanges:
    """Fields of a unit to create or change (None: unchanged on update)."""

    code: str | None = None
    name: str | None = None
    kind: str | None = None
    category: str | None = None


@dataclass
class PersonChanges:
    """Fields of a person to create or change (None: unchanged on update)."""

    name: str | None = None
    unit_id: uuid.UUID | None = None
    rank: str | None = None
    position: str | None = None
    mobile: str | None = None
    wecom_user_id: str | None = None
    email: str | None = None
    roles: list[str] | None = None


def _clean_unit(c: UnitChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if c.code is not None:
        values["code"] = clean_text(c.code, "code", 32)
    if c.name is not None:
        values["name"] = clean_text(c.name, "name", 100)
    if c.kind is not None:
        if c.kind not in UNIT_KINDS:
            raise ValidationFailed(f"未知的单位类型: {c.kind}", field="kind")
        values["kind"] = c.kind
    if c.category is not None:
        values["category"] = clean_text(c.category, "category", 50)
    return values


def _clean_person(c: PersonChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if c.name is not None:
        values["name"] = clean_text(c.name, "name", 50)
    for name, limit in (("rank", 20), ("position", 100), ("mobile", 20)):
        value = getattr(c, name)
        if value is not None:
            values[name] = clean_text(value, name, limit, required=False) or None
    for name, limit in (("wecom_user_id", 64), ("email", 254)):
        value = getattr(c, name)
        if value is not None:
            values[name] = clean_text(value, name, limit, required=False) or None
    if values.get("email") and "@" not in values["email"]:
        raise ValidationFailed("邮箱格式不正确", field="email")
    if c.roles is not None:
        unknown = [r for r in c.roles if r not in Role.__members__]
        if unknown:
            raise ValidationFailed(f"未知的角色: {unknown[0]}", field="roles")
        values["roles"] = sorted(set(c.roles))
    if c.unit_id is not None:
        values["unit_id"] = c.unit_id
    return values


def _unit_event(row: asyncpg.Record) -> ev.UnitUpserted:
    return ev.UnitUpserted(
        id=str(row["id"]),
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        category=row["category"],
    )


def _person_event(row: asyncpg.Record) -> ev.PersonUpserted:
    return ev.PersonUpserted(
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


def _public(row: asyncpg.Record, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: (str(row[f]) if isinstance(row[f], uuid.UUID) else row[f]) for f in fields}


async def _record_org_change(
    conn: asyncpg.Connection,
    principal: Principal,
    subject_type: str,
    row: asyncpg.Record,
    before: asyncpg.Record | None = None,
) -> None:
    """A unit or person changed: its upserted event and its audit entry, in the transaction."""
    unit = subject_type == "unit"
    event = _unit_event(row) if unit else _person_event(row)
    fields = UNIT_FIELDS if unit else PERSON_FIELDS
    await record_event(conn, event.envelope(str(row["id"]), row["version"]))
    await append_audit(
        conn,
        actor_id=principal.subject,
        action=f"{subject_type}.{'updated' if before is not None else 'created'}",
        subject_type=subject_type,
        subject_id=str(row["id"]),
        before=_public(before, fields) if before is not None else None,
        after=_public(row, fields),
    )


async def create_unit(
    db: Db, principal: Principal, code: str, name: str, kind: str, category: str
) -> asyncpg.Record:
    """新增单位 (office): emits tasks.unit.upserted; a duplicate code is a Conflict."""
    _require_office(principal)
    values = _clean_unit(UnitChanges(code=code, name=name, kind=kind, category=category))
    async with transaction(db) as conn:
        if await store.get_unit_by_code(conn, values["code"]):
            raise Conflict(f"单位代码已存在: {values['code']}", field="code")
        row = await store.insert_unit(conn, id=uuid.uuid4(), **values)
        await _record_org_change(conn, principal, "unit", row)
    return row


async def update_unit(
    db: Db, principal: Principal, unit_id: uuid.UUID, changes: UnitChanges
) -> asyncpg.Record:
    """修改单位 (office): only the given fields; emits tasks.unit.upserted."""
    _require_office(principal)
    values = _clean_unit(changes)
    async with transaction(db) as conn:
        before = await store.lock_unit(conn, unit_id)
        if before is None:
            raise NotFound("单位不存在", field="id")
        if "code" in values and values["code"] != before["code"]:
            if await store.get_unit_by_code(conn, values["code"]):
                raise Conflict(f"单位代码已存在: {values['code']}", field="code")
        row = await store.update_unit(conn, unit_id, values)
        await _record_org_change(conn, principal, "unit", row, before)
    return row


async def create_person(db: Db, principal: Principal, **p: Any) -> asyncpg.Record:
    """新增人员 (office): keyword fields of PersonChanges; emits tasks.person.upserted."""
    _require_office(principal)
    if p.get("name") is None:
        raise ValidationFailed("name 不能为空", field="name")
    values = _clean_person(PersonChanges(**p))
    async with transaction(db) as conn:
        if values.get("unit_id") and not await store.list_units_by_ids(conn, [values["unit_id"]]):
            raise NotFound("单位不存在", field="unitId")
        row = await store.insert_person(conn, id=uuid.uuid4(), **values)
        await _record_org_change(conn, principal, "person", row)
    return row


async def update_person(
    db: Db, principal: Principal, person_id: uuid.UUID, changes: PersonChanges
) -> asyncpg.Record:
    """修改人员 (office): only the given fields; emits tasks.person.upserted."""
    _require_office(principal)
    values = _clean_person(changes)
    async with transaction(db) as conn:
        before = await store.lock_person(conn, person_id)
        if before is None:
            raise NotFound("人员不存在", field="id")
        if values.get("unit_id") and not await store.list_units_by_ids(conn, [values["unit_id"]]):
            raise NotFound("单位不存在", field="unitId")
        row = await store.update_person(conn, person_id, values)
        await _record_org_change(conn, principal, "person", row, before)
    return row


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

    Emits tasks.item.created (version 1) with the full snapshot; code DB-YYYY-NNNN
    gap-free per year of the start date.
    """
    _require_office(principal)
    title, content = _check_new_item(new)
    now = now or datetime.now(UTC)
    async with transaction(db) as conn:
        unit_ids = [new.lead_unit_id, *new.co_unit_ids]
        found = {r["id"] for r in await store.list_units_by_ids(conn, unit_ids)}
        if missing := [u for u in unit_ids if u not in found]:
            field_name = "leadUnitId" if missing[0] == new.lead_unit_id else "coUnitIds"
            raise NotFound(f"单位不存在: {missing[0]}", field=field_name)
        leader = [new.responsible_leader_id] if new.responsible_leader_id else []
        people = [*new.owner_ids, *leader]
        known = {r["id"] for r in await store.list_people_by_ids(conn, people)}
        if unknown := [p for p in people if p not in known]:
            field_name = "ownerIds" if unknown[0] in new.owner_ids else "responsibleLeaderId"
            raise NotFound(f"人员不存在: {unknown[0]}", field=field_name)
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
        )
        await store_lifecycle.insert_assignments(
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
