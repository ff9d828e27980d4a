"""What re-importing the units-and-people sheet changes (pure): each row is CREATED,
UPDATED (with its fields' before/after), RETIRED (撤销 / 离任: marked, never deleted)
or UNCHANGED. Units are matched by 单位编码; people by 人员编码, else by name within
the same unit when that is unambiguous (so re-importing a sheet without codes does not
create everyone twice). A cadre who moves units keeps the same person, and so the
same performance file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.tasks.ledger.cells import RowError

CREATED, UPDATED, RETIRED, UNCHANGED = "CREATED", "UPDATED", "RETIRED", "UNCHANGED"
ACTIONS = (CREATED, UPDATED, RETIRED, UNCHANGED)
UNIT_COMPARED = ("name", "kind", "category")
PERSON_COMPARED = (
    "name",
    "unit_id",
    "rank",
    "position",
    "mobile",
    "wecom_user_id",
    "email",
    "roles",
)
RETIRE_WORDS = frozenset({"撤销", "已撤销", "离任", "已离任", "退休", "调离"})


def is_retired(status: str | None) -> bool:
    return (status or "").strip() in RETIRE_WORDS


@dataclass(frozen=True)
class UnitRow:
    row: int
    code: str
    name: str
    kind: str
    category: str
    retire: bool = False


@dataclass(frozen=True)
class PersonRow:
    row: int
    values: dict[str, Any]  # name, rank, position, mobile, wecom_user_id, email, roles
    unit_label: str | None
    code: str | None = None
    retire: bool = False


@dataclass
class Change:
    sheet: str
    row: int
    action: str
    code: str | None
    name: str
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    target_id: Any = None  # the existing unit / person (None when CREATED)
    values: dict[str, Any] = field(default_factory=dict)  # what to write
    unit_label: str | None = None


@dataclass
class Plan:
    units: list[Change] = field(default_factory=list)
    people: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        rows = [*self.units, *self.people]
        return {a: sum(1 for c in rows if c.action == a) for a in ACTIONS}


def _text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted(str(v) for v in value)
    return None if value is None else str(value)


def _diff(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Sequence[str]
) -> dict[str, dict[str, Any]]:
    return {
        f: {"before": _text(before.get(f)), "after": _text(after.get(f))}
        for f in fields
        if f in after and _text(before.get(f)) != _text(after.get(f))
    }


def plan_units(
    rows: Sequence[UnitRow], existing: Sequence[Mapping[str, Any]], sheet: str
) -> tuple[list[Change], list[RowError]]:
    by_code = {u["code"]: u for u in existing}
    by_name = {u["name"]: u for u in existing}
    out: list[Change] = []
    errors: list[RowError] = []
    for r in rows:
        old = by_code.get(r.code)
        other = by_name.get(r.name)
        if other is not None and (old is None or other["id"] != old["id"]):
            errors.append(RowError(sheet, r.row, "单位名称", f"单位名称已被 {other['code']} 使用"))
            continue
        values = {"name": r.name, "kind": r.kind, "category": r.category}
        if old is None:
            if r.retire:
                errors.append(RowError(sheet, r.row, "状态", f"要撤销的单位不存在: {r.code}"))
                continue
            out.append(
                Change(sheet, r.row, CREATED, r.code, r.name, values={"code": r.code, **values})
            )
            continue
        if r.retire:
            action = UNCHANGED if old.get("retired_at") else RETIRED
            out.append(Change(sheet, r.row, action, r.code, r.name, target_id=old["id"]))
            continue
        changes = _diff(old, values, UNIT_COMPARED)
        if old.get("retired_at"):
            changes["status"] = {"before": "撤销", "after": "正常"}
        action = UPDATED if changes else UNCHANGED
        out.append(Change(sheet, r.row, action, r.code, r.name, changes, old["id"], values))
    return out, errors


def plan_people(
    rows: Sequence[PersonRow],
    existing: Sequence[Mapping[str, Any]],
    units: Mapping[str, Any],
    sheet: str,
) -> tuple[list[Change], list[RowError]]:
    """``units``: unit code or name → id, for the existing units (a unit the sheet
    creates is named by its label until it exists)."""
    by_code = {p["code"]: p for p in existing if p.get("code")}
    by_name_unit: dict[tuple[str, Any], list[Mapping[str, Any]]] = {}
    for p in existing:
        by_name_unit.setdefault((p["name"], p["unit_id"]), []).append(p)
    out: list[Change] = []
    errors: list[RowError] = []
    for r in rows:
        unit_id = units.get(r.unit_label) if r.unit_label else None
        values = {
            **r.values,
            "unit_id": unit_id if unit_id is not None or not r.unit_label else r.unit_label,
        }
        if r.code:
            values["code"] = r.code
        old = by_code.get(r.code) if r.code else None
        if old is None:  # no code yet: the same name in the same unit, when unambiguous
            same = [
                p for p in by_name_unit.get((r.values["name"], unit_id), []) if not p.get("code")
            ]
            old = same[0] if len(same) == 1 else None
        if old is None:
            if r.retire:
                errors.append(
                    RowError(
                        sheet, r.row, "状态", f"要离任的人员不存在: {r.code or r.values['name']}"
                    )
                )
                continue
            out.append(
                Change(
                    sheet,
                    r.row,
                    CREATED,
                    r.code,
                    r.values["name"],
                    values=values,
                    unit_label=r.unit_label,
                )
            )
            continue
        if r.retire:
            action = UNCHANGED if old.get("retired_at") else RETIRED
            out.append(Change(sheet, r.row, action, r.code, r.values["name"], target_id=old["id"]))
            continue
        changes = _diff(old, values, PERSON_COMPARED)
        if old.get("retired_at"):
            changes["status"] = {"before": "离任", "after": "在职"}
        action = UPDATED if changes else UNCHANGED
        out.append(
            Change(
                sheet,
                r.row,
                action,
                r.code,
                r.values["name"],
                changes,
                old["id"],
                values,
                r.unit_label,
            )
        )
    return out, errors
