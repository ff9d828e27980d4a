"""Bulk-load units (sheet 单位) and people (sheet 人员) from .xlsx: all rows or none.

Re-importing updates what changed (units by 单位编码, people by 人员编码), retires rows
whose 状态 says 撤销 / 离任 (never deletes), and can first report the diff without
writing anything (``dry_run``; organisation_diff.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from services.core import clock
from services.core.addresses import email_problem, wecom_user_id_problem
from services.core.auth import Principal, Role
from services.core.errors import DomainError, Forbidden, ValidationFailed
from services.core.offload import off_loop
from services.tasks.items.domain import clean_text
from services.tasks.ledger import cells, store
from services.tasks.ledger import organisation_diff as diff
from services.tasks.ledger.cells import CellError, RowError
from services.tasks.ledger.errors import LedgerRejected
from services.tasks.ledger.resolve import Directory
from services.tasks.ledger.workbook import Sheet, open_workbook, read_sheet
from services.tasks.org import service
from services.tasks.org.domain import PersonChanges, UnitChanges

UNIT_SHEET, PEOPLE_SHEET = "单位", "人员"
UNIT_HEADERS = ["单位编码", "单位名称", "单位类型", "评价类别", "状态"]
PEOPLE_HEADERS = [
    "人员编码",
    "姓名",
    "所属单位",
    "职级",
    "职务",
    "手机",
    "企业微信账号",
    "邮箱",
    "角色",
    "状态",
]
UNIT_REQUIRED = ["单位编码", "单位名称", "单位类型"]
PEOPLE_REQUIRED = ["姓名"]


@dataclass
class OrganisationImported:
    units: list[asyncpg.Record] = field(default_factory=list)
    people: list[asyncpg.Record] = field(default_factory=list)
    plan: diff.Plan = field(default_factory=diff.Plan)
    dry_run: bool = False


def _parse_units(sheet: Sheet) -> tuple[list[diff.UnitRow], list[RowError]]:
    units: list[diff.UnitRow] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, values in sheet.rows:
        try:
            code = clean_text(cells.text(sheet.value(values, "单位编码")), "单位编码", 32)
            name = clean_text(cells.text(sheet.value(values, "单位名称")), "单位名称", 100)
        except DomainError as e:
            errors.append(RowError(sheet.name, number, e.field, e.message))
            continue
        try:
            kind = cells.parse_unit_kind(sheet.value(values, "单位类型"))
        except CellError as e:
            errors.append(RowError(sheet.name, number, "单位类型", str(e)))
            continue
        category = cells.text(sheet.value(values, "评价类别")) or cells.UNIT_KIND_LABELS[kind]
        if code in seen or name in seen:
            errors.append(RowError(sheet.name, number, "单位编码", "表内单位编码或名称重复"))
            continue
        seen |= {code, name}
        retire = diff.is_retired(cells.text(sheet.value(values, "状态")))
        units.append(diff.UnitRow(number, code, name, kind, category[:50], retire))
    return units, errors


def _parse_people(
    sheet: Sheet, known_units: set[str]
) -> tuple[list[diff.PersonRow], list[RowError]]:
    people: list[diff.PersonRow] = []
    errors: list[RowError] = []
    for number, values in sheet.rows:
        before = len(errors)
        name = cells.text(sheet.value(values, "姓名"))
        if not name or len(name) > 50:
            errors.append(RowError(sheet.name, number, "姓名", "不能为空，且不超过 50 个字符"))
        unit = cells.text(sheet.value(values, "所属单位")) or None
        if unit and unit not in known_units:
            errors.append(RowError(sheet.name, number, "所属单位", f"找不到单位: {unit}"))
        try:
            roles = cells.parse_roles(sheet.value(values, "角色"))
        except CellError as e:
            errors.append(RowError(sheet.name, number, "角色", str(e)))
            roles = []
        mobile = cells.text(sheet.value(values, "手机"))
        if mobile and not (mobile.isdigit() and 7 <= len(mobile) <= 15):
            errors.append(RowError(sheet.name, number, "手机", f"手机号码无效: {mobile}"))
        email = cells.text(sheet.value(values, "邮箱"))
        if email and (problem := email_problem(email)):
            errors.append(RowError(sheet.name, number, "邮箱", f"邮箱无效: {email} ({problem})"))
        wecom_user_id = cells.text(sheet.value(values, "企业微信账号"))
        if wecom_user_id and (problem := wecom_user_id_problem(wecom_user_id)):
            errors.append(RowError(sheet.name, number, "企业微信账号", problem))
        if len(errors) > before:
            continue
        people.append(
            diff.PersonRow(
                number,
                {
                    "name": name,
                    "rank": cells.text(sheet.value(values, "职级")) or None,
                    "position": cells.text(sheet.value(values, "职务")) or None,
                    "mobile": mobile or None,
                    "wecom_user_id": wecom_user_id or None,
                    "email": email or None,
                    "roles": roles,
                },
                unit,
                cells.text(sheet.value(values, "人员编码"))[:32] or None,
                diff.is_retired(cells.text(sheet.value(values, "状态"))),
            )
        )
    return people, errors


def _read(content: bytes) -> tuple[Sheet | None, Sheet | None]:
    workbook = open_workbook(content)
    try:
        names = workbook.sheetnames
        if UNIT_SHEET not in names and PEOPLE_SHEET not in names:
            raise ValidationFailed("需要名为「单位」或「人员」的工作表", field="file")
        unit_sheet = (
            read_sheet(workbook[UNIT_SHEET], UNIT_REQUIRED) if UNIT_SHEET in names else None
        )
        people_sheet = (
            read_sheet(workbook[PEOPLE_SHEET], PEOPLE_REQUIRED) if PEOPLE_SHEET in names else None
        )
    finally:
        workbook.close()
    return unit_sheet, people_sheet


async def import_organisation(
    pool: asyncpg.Pool, principal: Principal, content: bytes, dry_run: bool = False
) -> OrganisationImported:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以导入单位和人员")
    unit_sheet, people_sheet = await off_loop(_read, content, what="xlsx-read")
    async with pool.acquire() as conn:
        directory = await Directory.load(conn)
        existing_units = [dict(r) for r in await store.list_units_full(conn)]
        existing_people = [dict(r) for r in await store.list_people_full(conn)]
    units, errors = _parse_units(unit_sheet) if unit_sheet else ([], [])
    known = set(directory.units) | {u.code for u in units} | {u.name for u in units}
    people, people_errors = _parse_people(people_sheet, known) if people_sheet else ([], [])
    errors += people_errors
    unit_plan, unit_errors = diff.plan_units(units, existing_units, UNIT_SHEET)
    # people name a unit the sheet renames by its new name: the same unit, not a move
    sheet_units = {
        label: c.target_id
        for c in unit_plan
        if c.target_id is not None
        for label in (c.code, c.name)
        if label
    }
    people_plan, person_errors = diff.plan_people(
        people, existing_people, {**directory.units, **sheet_units}, PEOPLE_SHEET
    )
    errors += unit_errors + person_errors
    if errors:
        raise LedgerRejected(errors)
    plan = diff.Plan(unit_plan, people_plan)
    done = OrganisationImported(plan=plan, dry_run=dry_run)
    if dry_run:
        return done
    async with pool.acquire() as conn, conn.transaction():
        now = clock.now()
        for c in plan.units:
            try:
                row = await _apply_unit(conn, principal, c, now)
            except DomainError as e:
                errors.append(RowError(UNIT_SHEET, c.row, None, e.message))
                continue
            if row is not None:
                directory.add_unit(row["code"], row["name"], row["id"])
                done.units.append(row)
        for c in plan.people:
            try:
                person = await _apply_person(conn, principal, c, directory, now)
            except DomainError as e:
                errors.append(RowError(PEOPLE_SHEET, c.row, None, e.message))
                continue
            if person is not None:
                done.people.append(person)
        if errors:
            raise LedgerRejected(errors)
    return done


async def _apply_unit(
    conn: asyncpg.Connection, principal: Principal, c: diff.Change, now: Any
) -> asyncpg.Record | None:
    if c.action == diff.CREATED:
        v = c.values
        return await service.create_unit(
            conn, principal, v["code"], v["name"], v["kind"], v["category"]
        )
    if c.action == diff.RETIRED:
        return await service.retire(conn, principal, "unit", c.target_id, now)
    if c.action == diff.UPDATED:
        if "status" in c.changes:
            await service.retire(conn, principal, "unit", c.target_id, None)  # reinstated
        fields = {k: c.values[k] for k in c.changes if k in diff.UNIT_COMPARED}
        if fields:
            return await service.update_unit(conn, principal, c.target_id, UnitChanges(**fields))
    return None


async def _apply_person(
    conn: asyncpg.Connection,
    principal: Principal,
    c: diff.Change,
    directory: Directory,
    now: Any,
) -> asyncpg.Record | None:
    values = dict(c.values)
    if c.unit_label:
        values["unit_id"] = directory.unit(c.unit_label)
    if c.action == diff.CREATED:
        return await service.create_person(conn, principal, **values)
    if c.action == diff.RETIRED:
        return await service.retire(conn, principal, "person", c.target_id, now)
    if c.action == diff.UPDATED:
        if "status" in c.changes:
            await service.retire(conn, principal, "person", c.target_id, None)  # back in post
        fields = {k: values[k] for k in c.changes if k in (*diff.PERSON_COMPARED, "code")}
        if fields:
            return await service.update_person(
                conn, principal, c.target_id, PersonChanges(**fields)
            )
    return None
