"""Use-cases of units and people (the office manages the organisation): each change
emits its upserted event and appends its audit entry in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.contracts import tasks as ev
from services.core.auth import Principal
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.core.outbox import record_event
from services.tasks.access import require_office
from services.tasks.audit.service import append_audit
from services.tasks.org import store
from services.tasks.org.domain import (
    PERSON_FIELDS,
    UNIT_FIELDS,
    PersonChanges,
    UnitChanges,
    clean_person,
    clean_unit,
)
from services.tasks.transaction import Db, transaction


def _unit_event(row: asyncpg.Record) -> ev.UnitUpserted:
    return ev.UnitUpserted(
        id=str(row["id"]),
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        category=row["category"],
        active=row.get("retired_at") is None,
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
        active=row.get("retired_at") is None,
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
    require_office(principal)
    values = clean_unit(UnitChanges(code=code, name=name, kind=kind, category=category))
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
    require_office(principal)
    values = clean_unit(changes)
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
    require_office(principal)
    if p.get("name") is None:
        raise ValidationFailed("name 不能为空", field="name")
    values = clean_person(PersonChanges(**p))
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
    require_office(principal)
    values = clean_person(changes)
    async with transaction(db) as conn:
        before = await store.lock_person(conn, person_id)
        if before is None:
            raise NotFound("人员不存在", field="id")
        if values.get("unit_id") and not await store.list_units_by_ids(conn, [values["unit_id"]]):
            raise NotFound("单位不存在", field="unitId")
        row = await store.update_person(conn, person_id, values)
        await _record_org_change(conn, principal, "person", row, before)
    return row


async def retire(
    db: Db, principal: Principal, subject_type: str, id: uuid.UUID, at: Any
) -> asyncpg.Record:
    """撤销 a unit / 离任 a person (office): marked, never deleted (history keeps it);
    emits the upserted event with ``active`` false."""
    require_office(principal)
    async with transaction(db) as conn:
        lock = store.lock_unit if subject_type == "unit" else store.lock_person
        update = store.update_unit if subject_type == "unit" else store.update_person
        before = await lock(conn, id)
        if before is None:
            raise NotFound("单位不存在" if subject_type == "unit" else "人员不存在", field="id")
        row = await update(conn, id, {"retired_at": at})
        await _record_org_change(conn, principal, subject_type, row, before)
    return row
