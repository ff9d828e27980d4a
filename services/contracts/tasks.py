"""Events produced by the tasks service (stream TASKS, subjects ``tasks.>``).

Every item event carries the item's full snapshot after the change, so that a
consumer never calls back and can ignore an event whose aggregate version is
older than the one it already applied. Version 1 of every contract.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from services.core.events import EventContract, registry

# Assignment states of a unit that left the item (转办 away, or a co-unit removed by an
# edit). The snapshot keeps them as history; consumers neither colour nor score them.
ENDED_ASSIGNMENT_STATES = frozenset({"TRANSFERRED", "WITHDRAWN"})


class ItemSource(StrEnum):
    """事项来源: the values of ``ItemSnapshot.source`` (tasks' ``items.domain.Source``), for a
    consumer that takes a source as input (alerts' rules and counts)."""

    SUPERIOR_ASSIGNMENT = "SUPERIOR_ASSIGNMENT"  # 上级交办
    LEADER_INSTRUCTION = "LEADER_INSTRUCTION"  # 领导批示
    KEY_WORK = "KEY_WORK"  # 重点工作
    MAJOR_PROJECT = "MAJOR_PROJECT"  # 重大项目
    CONGRESS_PROPOSAL = "CONGRESS_PROPOSAL"  # 人大建议
    CPPCC_PROPOSAL = "CPPCC_PROPOSAL"  # 政协提案
    PUBLIC_REQUEST = "PUBLIC_REQUEST"  # 群众诉求
    OTHER = "OTHER"  # 其他


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


class ItemUpdated(ItemEvent):
    """修改 by the office. ``detail``: ``changes`` (field -> {"before", "after"}, snake_case
    field names), ``added_owner_ids`` / ``removed_owner_ids``, ``added_unit_ids`` /
    ``removed_unit_ids`` (co-units), ``reason`` (when a reported co-unit was removed)."""

    type: ClassVar[str] = "tasks.item.updated"


class ItemTransferred(ItemEvent):
    """转办 by the office. ``detail``: ``from_unit_id``, ``to_unit_id``, ``role`` (LEAD | CO),
    ``reason``. The old unit's assignment stays in the snapshot as TRANSFERRED."""

    type: ClassVar[str] = "tasks.item.transferred"


class ItemDeadlineReset(ItemEvent):
    """调整时限 by the office on a leader's instruction. ``detail``: ``previous_deadline``,
    ``deadline``, ``original_deadline`` (unchanged), ``reason``, ``leader_id``, ``reset_id``."""

    type: ClassVar[str] = "tasks.item.deadline_reset"


class ItemInstructionConfirmed(ItemEvent):
    """A leader confirmed an instruction the office recorded on their behalf (代录批示).
    ``detail``: ``instruction_id``, ``leader_id``."""

    type: ClassVar[str] = "tasks.item.instruction_confirmed"


class NoticeAcknowledged(EventContract):
    """A recipient acknowledged (签阅) a supervision notice (aggregate: the notice; its
    version counts the acknowledgements). ``remaining``: recipients still to acknowledge;
    ``unit_ids``: the item's lead and co-handling units (empty in events before issue 14's
    scoping, which therefore reach no unit-scoped integration)."""

    type: ClassVar[str] = "tasks.notice.acknowledged"
    notice_id: str
    item_id: str
    code: str
    person_id: str
    acknowledged_at: datetime
    note: str | None = None
    remaining: int = 0
    unit_ids: list[str] = Field(default_factory=list)


class UnitUpserted(EventContract):
    """A unit was created or changed (aggregate: the unit)."""

    type: ClassVar[str] = "tasks.unit.upserted"
    id: str
    code: str
    name: str
    kind: str
    category: str
    wecom_robot_key: str | None = None
    active: bool = True  # False once retired (撤销); units are never deleted


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


class CalendarDay(BaseModel):
    day: date
    kind: str  # HOLIDAY (a weekday off) | WORKDAY (a weekend day worked)
    name: str = ""


class CalendarChanged(EventContract):
    """The office set one year of the working-day calendar (aggregate: ``calendar:<year>``,
    aggregate version = ``revision``, the year's version). ``days`` lists every exception to Mon–Fri of
    that year: the whole year is replaced (ADR 0016)."""

    type: ClassVar[str] = "tasks.calendar.changed"
    year: int
    revision: int
    source: str = "office"
    days: list[CalendarDay] = Field(default_factory=list)


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
    ItemUpdated,
    ItemTransferred,
    ItemDeadlineReset,
    ItemInstructionConfirmed,
)

CONTRACTS = registry(
    *ITEM_EVENTS,
    NoticeAcknowledged,
    UnitUpserted,
    PersonUpserted,
    CalendarChanged,
    WeComCardActed,
)
