"""Units and people (单位, 人员): their fields and how a change is validated (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.core.addresses import email_problem, wecom_user_id_problem
from services.core.auth import Role
from services.core.errors import ValidationFailed
from services.tasks.items.domain import clean_text

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
    code: str | None = None  # 人员编码, what a re-import matches on


def clean_unit(c: UnitChanges) -> dict[str, Any]:
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


def clean_person(c: PersonChanges) -> dict[str, Any]:
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
    # checked with a real parser here and again at send time (alerts' delivery)
    if values.get("email") and (problem := email_problem(values["email"])):
        raise ValidationFailed(problem, field="email")
    if values.get("wecom_user_id") and (problem := wecom_user_id_problem(values["wecom_user_id"])):
        raise ValidationFailed(problem, field="wecomUserId")
    if c.roles is not None:
        unknown = [r for r in c.roles if r not in Role.__members__]
        if unknown:
            raise ValidationFailed(f"未知的角色: {unknown[0]}", field="roles")
        values["roles"] = sorted(set(c.roles))
    if c.unit_id is not None:
        values["unit_id"] = c.unit_id
    if c.code is not None:
        values["code"] = clean_text(c.code, "code", 32, required=False) or None
    return values
