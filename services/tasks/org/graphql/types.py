"""GraphQL entity types of the organisation: units (单位) and people (人员)."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from services.core.graphql import AppInfo
from services.tasks import loaders
from services.tasks.access import sees_contact


@strawberry.enum
class UnitKind(Enum):
    STREET = "STREET"  # 街道
    TOWNSHIP = "TOWNSHIP"  # 乡镇
    DEPARTMENT = "DEPARTMENT"  # 区直部门
    OTHER = "OTHER"


@strawberry.federation.type(
    keys=["id"], description="单位: a street office, township or department."
)
class Unit:
    id: strawberry.ID
    code: str
    name: str
    kind: UnitKind
    category: str

    @classmethod
    def from_row(cls, row: Any) -> Unit:
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            name=row["name"],
            kind=UnitKind(row["kind"]),
            category=row["category"],
        )

    @classmethod
    async def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Unit | None:
        row = await loaders.unit_by_id(info.context).load(id)
        return cls.from_row(row) if row else None


@strawberry.federation.type(keys=["id"], description="人员: a cadre, head, supervisor or leader.")
class Person:
    id: strawberry.ID
    name: str
    rank: str | None
    position: str | None
    roles: list[str]
    unit_id: strawberry.Private[str | None]
    contact: strawberry.Private[dict[str, str | None]]

    def _contact(self, info: AppInfo, key: str) -> str | None:
        """Contact details: for the office, leaders and the person themself only."""
        p = info.context.principal
        if p is None or not sees_contact(p, str(self.id)):
            return None
        return self.contact.get(key)

    @strawberry.field(description="手机 (office, leaders and the person only)")
    def mobile(self, info: AppInfo) -> str | None:
        return self._contact(info, "mobile")

    @strawberry.field(description="企业微信 user id (office, leaders and the person only)")
    def wecom_user_id(self, info: AppInfo) -> str | None:
        return self._contact(info, "wecom_user_id")

    @strawberry.field(description="邮箱 (office, leaders and the person only)")
    def email(self, info: AppInfo) -> str | None:
        return self._contact(info, "email")

    @strawberry.field
    async def unit(self, info: AppInfo) -> Unit | None:
        if not self.unit_id:
            return None
        row = await loaders.unit_by_id(info.context).load(self.unit_id)
        return Unit.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: Any) -> Person:
        return cls(
            id=strawberry.ID(str(row["id"])),
            name=row["name"],
            rank=row["rank"],
            position=row["position"],
            roles=list(row["roles"]),
            unit_id=str(row["unit_id"]) if row["unit_id"] else None,
            contact={k: row[k] for k in ("mobile", "wecom_user_id", "email")},
        )

    @classmethod
    async def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> Person | None:
        row = await loaders.person_by_id(info.context).load(id)
        return cls.from_row(row) if row else None
