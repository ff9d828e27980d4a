"""Events produced by the tasks service (stream TASKS, subjects ``tasks.>``).

Every item event carries the item's full snapshot after the change, so that a
consumer never calls back and can ignore an event whose aggregate version is
older than the one it already applied. Version 1 of every contract.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from services.core.events import EventContract, registry


class PlanNode(BaseModel):
    date: date
    percent: int


class AssignmentSnapshot(BaseModel):
    unit_id: str
    role: str = "LEAD"  # LEAD | CO
    state: str = "ASSIGNED"
    percent: int = 0
    last_report_at: datetime | None = None
    signed_at: datetime | None = None
    completed_at: datetime | None = None


class ItemSnapshot(BaseModel):
    id: str
    code: str
    title: str
    source: str
    importance: int = 1
    difficulty: float = 1.0
    start_date: date
    deadline: date
    original_deadline: date
    reporting_cycle: str = "WEEKLY"
    state: str
    lead_unit_id: str
    co_unit_ids: list[str] = Field(default_factory=list)
    responsible_leader_id: str | None = None
    owner_ids: list[str] = Field(default_factory=list)
    plan_nodes: list[PlanNode] = Field(default_factory=list)
    assignments: list[AssignmentSnapshot] = Field(default_factory=list)
    created_at: datetime | None = None
    completed_at: datetime | None = None


class ItemEvent(EventContract):
    item: ItemSnapshot
    actor_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class ItemCreated(ItemEvent):
    type: ClassVar[str] = "tasks.item.created"


class ItemAssigned(ItemEvent):
    type: ClassVar[str] = "tasks.item.assigned"


class ItemSigned(ItemEvent):
    type: ClassVar[str] = "tasks.item.signed"


class ItemReturned(ItemEvent):
    type: ClassVar[str] = "tasks.item.returned"


class ItemProgressReported(ItemEvent):
    type: ClassVar[str] = "tasks.item.progress_reported"


class ItemReportVerified(ItemEvent):
    type: ClassVar[str] = "tasks.item.report_verified"


class ItemCompletionRequested(ItemEvent):
    type: ClassVar[str] = "tasks.item.completion_requested"


class ItemCompleted(ItemEvent):
    type: ClassVar[str] = "tasks.item.completed"


class ItemSentBack(ItemEvent):
    type: ClassVar[str] = "tasks.item.sent_back"


class ItemExtensionRequested(ItemEvent):
    type: ClassVar[str] = "tasks.item.extension_requested"


class ItemExtensionDecided(ItemEvent):
    type: ClassVar[str] = "tasks.item.extension_decided"


class ItemSuspended(ItemEvent):
    type: ClassVar[str] = "tasks.item.suspended"


class ItemResumed(ItemEvent):
    type: ClassVar[str] = "tasks.item.resumed"


class ItemCancelled(ItemEvent):
    type: ClassVar[str] = "tasks.item.cancelled"


class ItemDeadlineChanged(ItemEvent):
    type: ClassVar[str] = "tasks.item.deadline_changed"


class ItemNoticeIssued(ItemEvent):
    type: ClassVar[str] = "tasks.item.notice_issued"


class ItemInstructionAdded(ItemEvent):
    type: ClassVar[str] = "tasks.item.instruction_added"


class ItemChased(ItemEvent):
    type: ClassVar[str] = "tasks.item.chased"


class UnitUpserted(EventContract):
    """A unit was created or changed (aggregate: the unit)."""

    type: ClassVar[str] = "tasks.unit.upserted"
    id: str
    code: str
    name: str
    kind: str
    category: str
    wecom_robot_key: str | None = None


class PersonUpserted(EventContract):
    """A person was created or changed (aggregate: the person)."""

    type: ClassVar[str] = "tasks.person.upserted"
    id: str
    name: str
    unit_id: str | None = None
    rank: str | None = None
    position: str | None = None
    mobile: str | None = None
    wecom_user_id: str | None = None
    email: str | None = None
    roles: list[str] = Field(default_factory=list)
    active: bool = True


class WeComCardActed(EventContract):
    """A button on a WeCom template card was pressed and handled (aggregate: the card's
    task id). Alerts, which sent the card, updates it with ``message``."""

    type: ClassVar[str] = "tasks.wecom.card_acted"
    task_id: str
    response_code: str
    wecom_user_id: str
    person_id: str | None = None
    action: str  # SIGN | RETURN | ACK
    done: bool
    message: str  # what the card now says, e.g. "已签收 · 张三 · 06-29 10:02"
    acted_at: datetime


# Button keys on the cards alerts sends and tasks' callback reads: "<ACTION>|<id>|<id>".
CARD_ACTIONS = ("SIGN", "RETURN", "ACK")


def card_key(action: str, *ids: str) -> str:
    assert action in CARD_ACTIONS
    return "|".join((action, *ids))


def parse_card_key(key: str) -> tuple[str, list[str]] | None:
    action, *ids = key.split("|")
    return (action, ids) if action in CARD_ACTIONS and ids else None


ITEM_EVENTS: tuple[type[ItemEvent], ...] = (
    ItemCreated,
    ItemAssigned,
    ItemSigned,
    ItemReturned,
    ItemProgressReported,
    ItemReportVerified,
    ItemCompletionRequested,
    ItemCompleted,
    ItemSentBack,
    ItemExtensionRequested,
    ItemExtensionDecided,
    ItemSuspended,
    ItemResumed,
    ItemCancelled,
    ItemDeadlineChanged,
    ItemNoticeIssued,
    ItemInstructionAdded,
    ItemChased,
)

CONTRACTS = registry(*ITEM_EVENTS, UnitUpserted, PersonUpserted, WeComCardActed)
