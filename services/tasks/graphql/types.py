"""GraphQL types owned by the tasks subgraph (entities keyed by id)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
import strawberry

from services.core.graphql import AppInfo
from services.tasks.domain import items as domain
from services.tasks.graphql import loaders

if TYPE_CHECKING:
    from services.tasks.graphql.audit_queries import AuditEntry
    from services.tasks.graphql.lifecycle_types import (
        Assignment,
        Chase,
        Extension,
        Instruction,
        ProgressReport,
        Verification,
    )
    from services.tasks.graphql.notice_types import Notice

LIFECYCLE = "services.tasks.graphql.lifecycle_types"

# Domain enums exposed as GraphQL enums (strawberry.enum registers the class itself).
strawberry.enum(domain.Source, name="ItemSource", description="事项来源")
strawberry.enum(domain.ItemState, name="ItemState", description="事项状态")
strawberry.enum(domain.ReportingCycle, name="ReportingCycle", description="汇报周期")


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
    def from_row(cls, row: asyncpg.Record) -> Unit:
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
        if p is None or not (p.sees_everything or p.subject == str(self.id)):
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
    def from_row(cls, row: asyncpg.Record) -> Person:
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


@strawberry.type
class PlanNode:
    date: date
    percent: int


@strawberry.federation.type(keys=["id"], description="督办事项: a supervision item.")
class SupervisionItem:
    id: strawberry.ID
    code: str
    title: str
    content: str
    source: domain.Source
    state: domain.ItemState
    importance: int
    difficulty: float
    start_date: date
    deadline: date
    original_deadline: date
    reporting_cycle: domain.ReportingCycle
    plan_nodes: list[PlanNode]
    created_at: datetime
    completed_at: datetime | None
    version: int = strawberry.field(description="Aggregate version (bumped on every change).")
    assignments: list[Annotated[Assignment, strawberry.lazy(LIFECYCLE)]] = strawberry.field(
        description="承办单位: one assignment per unit with its state and percent."
    )
    lead_unit_id: strawberry.Private[str]
    co_unit_ids: strawberry.Private[list[str]]
    owner_ids: strawberry.Private[list[str]]
    responsible_leader_id: strawberry.Private[str | None]

    @strawberry.field(description="牵头单位")
    async def lead_unit(self, info: AppInfo) -> Unit | None:
        row = await loaders.unit_by_id(info.context).load(self.lead_unit_id)
        return Unit.from_row(row) if row else None

    @strawberry.field(description="配合单位")
    async def co_units(self, info: AppInfo) -> list[Unit]:
        rows = await loaders.unit_by_id(info.context).load_many(self.co_unit_ids)
        return [Unit.from_row(r) for r in rows if r]

    @strawberry.field(description="具体负责人")
    async def owners(self, info: AppInfo) -> list[Person]:
        rows = await loaders.person_by_id(info.context).load_many(self.owner_ids)
        return [Person.from_row(r) for r in rows if r]

    @strawberry.field(description="分包负责人")
    async def responsible_leader(self, info: AppInfo) -> Person | None:
        if not self.responsible_leader_id:
            return None
        row = await loaders.person_by_id(info.context).load(self.responsible_leader_id)
        return Person.from_row(row) if row else None

    @strawberry.field(description="进度汇报, oldest first")
    async def reports(
        self, info: AppInfo
    ) -> list[Annotated[ProgressReport, strawberry.lazy(LIFECYCLE)]]:
        from services.tasks.graphql import lifecycle_types as lt

        rows = await lt.history_loader(info.context, "progress_reports").load(str(self.id))
        return [lt.ProgressReport.from_row(r) for r in rows]

    @strawberry.field(description="核实 decisions (with on-site inspection records)")
    async def verifications(
        self, info: AppInfo
    ) -> list[Annotated[Verification, strawberry.lazy(LIFECYCLE)]]:
        from services.tasks.graphql import lifecycle_types as lt

        rows = await lt.history_loader(info.context, "verifications").load(str(self.id))
        return [lt.Verification.from_row(r) for r in rows]

    @strawberry.field(description="延期申请")
    async def extensions(
        self, info: AppInfo
    ) -> list[Annotated[Extension, strawberry.lazy(LIFECYCLE)]]:
        from services.tasks.graphql import lifecycle_types as lt

        rows = await lt.history_loader(info.context, "extensions").load(str(self.id))
        return [lt.Extension.from_row(r) for r in rows]

    @strawberry.field(description="领导批示")
    async def instructions(
        self, info: AppInfo
    ) -> list[Annotated[Instruction, strawberry.lazy(LIFECYCLE)]]:
        from services.tasks.graphql import lifecycle_types as lt

        rows = await lt.history_loader(info.context, "instructions").load(str(self.id))
        return [lt.Instruction.from_row(r) for r in rows]

    @strawberry.field(description="催办 records")
    async def chases(self, info: AppInfo) -> list[Annotated[Chase, strawberry.lazy(LIFECYCLE)]]:
        from services.tasks.graphql import lifecycle_types as lt

        rows = await lt.history_loader(info.context, "chases").load(str(self.id))
        return [lt.Chase.from_row(r) for r in rows]

    @strawberry.field(description="痕迹: this item's audit entries, oldest first")
    async def audit_trail(
        self, info: AppInfo
    ) -> list[Annotated[AuditEntry, strawberry.lazy("services.tasks.graphql.audit_queries")]]:
        from services.tasks.graphql import audit_queries
        from services.tasks.graphql import lifecycle_types as lt

        rows = await lt.audit_loader(info.context).load(str(self.id))
        return [audit_queries.AuditEntry.from_row(r) for r in rows]

    @strawberry.field(description="督查通知单 issued for this item, oldest first")
    async def notices(
        self, info: AppInfo
    ) -> list[Annotated[Notice, strawberry.lazy("services.tasks.graphql.notice_types")]]:
        from services.tasks.graphql import notice_types

        rows = await notice_types.notices_by_item(info.context).load(str(self.id))
        return [notice_types.Notice.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: Any) -> SupervisionItem:
        from services.tasks.graphql.lifecycle_types import Assignment

        keys = row.keys()
        return cls(
            id=strawberry.ID(str(row["id"])),
            code=row["code"],
            title=row["title"],
            content=row["content"],
            source=domain.Source(row["source"]),
            state=domain.ItemState(row["state"]),
            importance=row["importance"],
            difficulty=float(row["difficulty"]),
            start_date=row["start_date"],
            deadline=row["deadline"],
            original_deadline=row["original_deadline"],
            reporting_cycle=domain.ReportingCycle(row["reporting_cycle"]),
            plan_nodes=[
                PlanNode(date=date.fromisoformat(n["date"]), percent=n["percent"])
                for n in row["plan_nodes"]
            ],
            created_at=row["created_at"],
            completed_at=row["completed_at"],
            version=row["version"],
            assignments=[
                Assignment.from_json(a)
                for a in (row["assignments"] if "assignments" in keys else None) or []
            ],
            lead_unit_id=str(row["lead_unit_id"]),
            co_unit_ids=[str(u) for u in row["co_unit_ids"]],
            owner_ids=[str(o) for o in row["owner_ids"]],
            responsible_leader_id=(
                str(row["responsible_leader_id"]) if row["responsible_leader_id"] else None
            ),
        )

    @classmethod
    async def resolve_reference(cls, info: AppInfo, id: strawberry.ID) -> SupervisionItem | None:
        row = await loaders.item_by_id(info.context).load(id)
        return cls.from_row(row) if row else None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ItemConnection:
    nodes: list[SupervisionItem]
    page_info: PageInfo
