"""GraphQL types of an item's lifecycle records (assignments, reports, verifications,
extensions, instructions, chases) and their batch loader."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader

from services.core.graphql import AppInfo, Context
from services.tasks import loaders
from services.tasks.lifecycle import store
from services.tasks.lifecycle.domain import AssignmentState
from services.tasks.org.graphql.types import Person, Unit

strawberry.enum(AssignmentState, name="AssignmentState", description="单位承办状态")


@strawberry.enum(description="核实结果")
class VerificationResult(Enum):
    CONFIRMED = "CONFIRMED"
    DISPUTED = "DISPUTED"


@strawberry.enum(description="延期申请状态")
class ExtensionState(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@strawberry.type(description="承办: one unit's assignment on an item (lead or co-unit).")
class Assignment:
    unit_id: strawberry.ID
    role: str = strawberry.field(description="LEAD (牵头) or CO (配合)")
    state: AssignmentState
    percent: int
    last_report_at: datetime | None
    signed_at: datetime | None
    completed_at: datetime | None
    returned_reason: str | None
    ended_reason: str | None = strawberry.field(
        default=None, description="转办 / 撤出: why the unit left the item (history)"
    )
    ended_at: datetime | None = None
    transferred_to_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="转办: the unit the assignment went to"
    )

    @strawberry.field
    async def unit(self, info: AppInfo) -> Unit | None:
        row = await loaders.unit_by_id(info.context).load(str(self.unit_id))
        return Unit.from_row(row) if row else None

    @classmethod
    def from_json(cls, a: dict[str, Any]) -> Assignment:
        return cls(
            unit_id=strawberry.ID(str(a["unit_id"])),
            role=a["role"],
            state=AssignmentState(a["state"]),
            percent=a["percent"],
            last_report_at=_ts(a.get("last_report_at")),
            signed_at=_ts(a.get("signed_at")),
            completed_at=_ts(a.get("completed_at")),
            returned_reason=a.get("returned_reason"),
            ended_reason=a.get("ended_reason"),
            ended_at=_ts(a.get("ended_at")),
            transferred_to_unit_id=(
                strawberry.ID(str(a["transferred_to"])) if a.get("transferred_to") else None
            ),
        )


@strawberry.type(description="进度汇报")
class ProgressReport:
    id: strawberry.ID
    unit_id: strawberry.ID
    percent: int
    narrative: str
    problems: str
    next_steps: str
    decrease_reason: str | None
    reported_by: str
    reported_at: datetime
    verification_result: VerificationResult | None
    verification_note: str | None
    verified_at: datetime | None

    @classmethod
    def from_row(cls, r: Any) -> ProgressReport:
        return cls(
            id=strawberry.ID(str(r["id"])),
            unit_id=strawberry.ID(str(r["unit_id"])),
            percent=r["percent"],
            narrative=r["narrative"],
            problems=r["problems"],
            next_steps=r["next_steps"],
            decrease_reason=r["decrease_reason"],
            reported_by=r["reported_by"],
            reported_at=r["reported_at"],
            verification_result=(
                VerificationResult(r["verification_result"]) if r["verification_result"] else None
            ),
            verification_note=r["verification_note"],
            verified_at=r["verified_at"],
        )


@strawberry.type(description="现场查看确认: on-site inspection record")
class Inspection:
    inspected_on: date
    place: str
    participants: str
    findings: str


@strawberry.type(description="核实: the office's decision on a unit's completion request")
class Verification:
    id: strawberry.ID
    unit_id: strawberry.ID
    approved: bool
    note: str
    on_site: bool
    inspection: Inspection | None
    decided_by: str
    decided_at: datetime

    @classmethod
    def from_row(cls, r: Any) -> Verification:
        i = r["inspection"]
        return cls(
            id=strawberry.ID(str(r["id"])),
            unit_id=strawberry.ID(str(r["unit_id"])),
            approved=r["approved"],
            note=r["note"],
            on_site=r["on_site"],
            inspection=(
                Inspection(
                    inspected_on=date.fromisoformat(i["inspected_on"]),
                    place=i["place"],
                    participants=i["participants"],
                    findings=i["findings"],
                )
                if i
                else None
            ),
            decided_by=r["decided_by"],
            decided_at=r["decided_at"],
        )


@strawberry.type(description="延期申请")
class Extension:
    id: strawberry.ID
    unit_id: strawberry.ID | None
    reason: str
    old_deadline: date
    new_deadline: date
    state: ExtensionState
    requested_by: str
    requested_at: datetime
    decision_note: str | None
    decided_at: datetime | None

    @classmethod
    def from_row(cls, r: Any) -> Extension:
        return cls(
            id=strawberry.ID(str(r["id"])),
            unit_id=strawberry.ID(str(r["unit_id"])) if r["unit_id"] else None,
            reason=r["reason"],
            old_deadline=r["old_deadline"],
            new_deadline=r["new_deadline"],
            state=ExtensionState(r["state"]),
            requested_by=r["requested_by"],
            requested_at=r["requested_at"],
            decision_note=r["decision_note"],
            decided_at=r["decided_at"],
        )


@strawberry.type(description="领导批示")
class Instruction:
    id: strawberry.ID
    item_id: strawberry.ID
    leader_id: strawberry.ID = strawberry.field(description="The leader whose instruction it is.")
    content: str
    created_at: datetime
    entered_by: str | None = strawberry.field(
        default=None,
        description="代录批示: who entered it on the leader's behalf (null: the leader)",
    )
    instructed_on: date | None = strawberry.field(
        default=None, description="The day the leader gave it (代录批示)."
    )
    confirmed_at: datetime | None = strawberry.field(
        default=None,
        description="When the leader confirmed an instruction entered on their behalf.",
    )

    @strawberry.field
    async def leader(self, info: AppInfo) -> Person | None:
        row = await loaders.person_by_id(info.context).load(str(self.leader_id))
        return Person.from_row(row) if row else None

    @classmethod
    def from_row(cls, r: Any) -> Instruction:
        return cls(
            id=strawberry.ID(str(r["id"])),
            item_id=strawberry.ID(str(r["item_id"])),
            leader_id=strawberry.ID(r["leader_id"]),
            content=r["content"],
            created_at=r["created_at"],
            entered_by=r.get("entered_by"),
            instructed_on=r.get("instructed_on"),
            confirmed_at=r.get("confirmed_at"),
        )


@strawberry.type(description="调整时限: a deadline re-set by the office on a leader's instruction")
class DeadlineReset:
    id: strawberry.ID
    old_deadline: date
    new_deadline: date
    reason: str
    leader_id: strawberry.ID | None
    reset_by: str
    reset_at: datetime

    @strawberry.field(description="The instructing leader")
    async def leader(self, info: AppInfo) -> Person | None:
        if not self.leader_id:
            return None
        row = await loaders.person_by_id(info.context).load(str(self.leader_id))
        return Person.from_row(row) if row else None

    @classmethod
    def from_row(cls, r: Any) -> DeadlineReset:
        return cls(
            id=strawberry.ID(str(r["id"])),
            old_deadline=r["old_deadline"],
            new_deadline=r["new_deadline"],
            reason=r["reason"],
            leader_id=strawberry.ID(str(r["leader_id"])) if r["leader_id"] else None,
            reset_by=r["reset_by"],
            reset_at=r["reset_at"],
        )


@strawberry.type(description="催办 record")
class Chase:
    id: strawberry.ID
    unit_id: strawberry.ID | None
    chased_by: str
    note: str
    created_at: datetime

    @classmethod
    def from_row(cls, r: Any) -> Chase:
        return cls(
            id=strawberry.ID(str(r["id"])),
            unit_id=strawberry.ID(str(r["unit_id"])) if r["unit_id"] else None,
            chased_by=r["chased_by"],
            note=r["note"],
            created_at=r["created_at"],
        )


def history_loader(ctx: Context, table: str) -> DataLoader[str, list[Any]]:
    """Rows of one history table per item id (one query per batch of items)."""

    def make() -> DataLoader[str, list[Any]]:
        async def load(keys: list[str]) -> list[list[Any]]:
            async with ctx.pool.acquire() as conn:
                rows = await store.list_history_by_items(conn, table, [UUID(k) for k in keys])
            grouped: dict[str, list[Any]] = {k: [] for k in keys}
            for r in rows:
                grouped[str(r["item_id"])].append(r)
            return [grouped[k] for k in keys]

        return DataLoader(load_fn=load)

    return ctx.loader(f"HistoryBy{table}Loader", make)  # type: ignore[no-any-return]
