"""GraphQL types of supervision items: the SupervisionItem entity (keyed by id), its
list page and statistics rows.

The item is the hub of the schema: it resolves the records of other features
(assignments and history, audit entries, notices) through their types and batch
loaders, which never import this module (a notice's item is a lazy reference).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry

from services.core.graphql import AppInfo
from services.tasks import loaders
from services.tasks.access import sees_item
from services.tasks.audit.graphql import AuditEntry, audit_entries_by_item
from services.tasks.items import domain
from services.tasks.lifecycle.graphql.types import (
    Assignment,
    Chase,
    DeadlineReset,
    Extension,
    Instruction,
    ProgressReport,
    Verification,
    history_loader,
)
from services.tasks.notices.graphql.types import Notice, notices_by_item
from services.tasks.org.graphql.types import Person, Unit

# Domain enums exposed as GraphQL enums (strawberry.enum registers the class itself).
strawberry.enum(domain.Source, name="ItemSource", description="事项来源")
strawberry.enum(domain.ItemState, name="ItemState", description="事项状态")
strawberry.enum(domain.ReportingCycle, name="ReportingCycle", description="汇报周期")


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
    source_document_no: str | None = strawberry.field(
        description="文号 of the document the item was handed down under"
    )
    reporting_cycle: domain.ReportingCycle
    plan_nodes: list[PlanNode]
    created_at: datetime
    completed_at: datetime | None
    version: int = strawberry.field(description="Aggregate version (bumped on every change).")
    assignments: list[Assignment] = strawberry.field(
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
    async def reports(self, info: AppInfo) -> list[ProgressReport]:
        rows = await history_loader(info.context, "progress_reports").load(str(self.id))
        return [ProgressReport.from_row(r) for r in rows]

    @strawberry.field(description="核实 decisions (with on-site inspection records)")
    async def verifications(self, info: AppInfo) -> list[Verification]:
        rows = await history_loader(info.context, "verifications").load(str(self.id))
        return [Verification.from_row(r) for r in rows]

    @strawberry.field(description="延期申请")
    async def extensions(self, info: AppInfo) -> list[Extension]:
        rows = await history_loader(info.context, "extensions").load(str(self.id))
        return [Extension.from_row(r) for r in rows]

    @strawberry.field(description="领导批示")
    async def instructions(self, info: AppInfo) -> list[Instruction]:
        rows = await history_loader(info.context, "instructions").load(str(self.id))
        return [Instruction.from_row(r) for r in rows]

    @strawberry.field(description="调整时限 records, oldest first")
    async def deadline_resets(self, info: AppInfo) -> list[DeadlineReset]:
        rows = await history_loader(info.context, "deadline_resets").load(str(self.id))
        return [DeadlineReset.from_row(r) for r in rows]

    @strawberry.field(description="催办 records")
    async def chases(self, info: AppInfo) -> list[Chase]:
        rows = await history_loader(info.context, "chases").load(str(self.id))
        return [Chase.from_row(r) for r in rows]

    @strawberry.field(description="痕迹: this item's audit entries, oldest first")
    async def audit_trail(self, info: AppInfo) -> list[AuditEntry]:
        rows = await audit_entries_by_item(info.context).load(str(self.id))
        return [AuditEntry.from_row(r) for r in rows]

    @strawberry.field(description="督查通知单 issued for this item, oldest first")
    async def notices(self, info: AppInfo) -> list[Notice]:
        rows = await notices_by_item(info.context).load(str(self.id))
        return [Notice.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: Any) -> SupervisionItem:
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
            source_document_no=row["source_document_no"] if "source_document_no" in keys else None,
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
        """The item for ``_entities``: null when absent or not visible to the caller."""
        row = await loaders.item_by_id(info.context).load(id)
        if row is None or not sees_item(info.context.require(), row):
            return None
        return cls.from_row(row)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ItemConnection:
    nodes: list[SupervisionItem]
    page_info: PageInfo


@strawberry.enum(description="统计维度")
class StatisticsDimension(Enum):
    YEAR = "YEAR"
    MONTH = "MONTH"
    SOURCE = "SOURCE"
    UNIT = "UNIT"
    STATE = "STATE"


@strawberry.type(description="One group of the item statistics.")
class StatisticsRow:
    key: str
    label: str
    total: int
    completed: int
    completed_on_time: int
    open: int = strawberry.field(description="办理中 (assigned, in progress, awaiting 核实)")
    on_track: int = strawberry.field(description="open and not past the deadline")
    overdue: int
    suspended: int
    cancelled: int
    completed_or_on_track: int
