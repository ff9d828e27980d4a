"""Supervision notices (督查通知单): numbering and validation of an issue (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from services.core.errors import InvalidTransition, ValidationFailed

CONTENT_MAX = 2000
NOTE_MAX = 500
MAX_RECIPIENTS = 50

CLOSED_STATES = frozenset({"COMPLETED", "CANCELLED"})


class RecipientRole(StrEnum):
    UNIT_HEAD = "UNIT_HEAD"  # 单位主要负责人
    RESPONSIBLE_LEADER = "RESPONSIBLE_LEADER"  # 分包负责人
    OWNER = "OWNER"  # 具体负责人
    UNIT_SUPERVISOR = "UNIT_SUPERVISOR"  # 单位督查员


RECIPIENT_ROLE_LABELS: dict[RecipientRole, str] = {
    RecipientRole.UNIT_HEAD: "单位主要负责人",
    RecipientRole.RESPONSIBLE_LEADER: "分包负责人",
    RecipientRole.OWNER: "具体负责人",
    RecipientRole.UNIT_SUPERVISOR: "单位督查员",
}


@dataclass(frozen=True)
class Recipient:
    person_id: UUID
    role: RecipientRole


@dataclass(frozen=True)
class ItemFacts:
    """What the rules need to know about the item a notice is issued for."""

    state: str
    unit_ids: frozenset[UUID]
    owner_ids: frozenset[UUID]
    responsible_leader_id: UUID | None


def format_notice_code(year: int, number: int) -> str:
    return f"督查通知〔{year}〕第{number}号"


def default_content(title: str, response_deadline: date) -> str:
    return (
        f"请抓紧推进“{title}”的办理工作，对照时间节点查找差距、落实整改，"
        f"并于{format_cn_date(response_deadline)}前书面回复。"
    )


def format_cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def validate_issue(
    item: ItemFacts,
    recipients: list[Recipient],
    people_units: dict[UUID, UUID | None],
    issued_on: date,
    response_deadline: date,
) -> None:
    """Check a notice before it is issued; ``people_units`` maps each found person to a unit."""
    if item.state in CLOSED_STATES:
        raise InvalidTransition(f"事项已{_state_label(item.state)}，不能下发督查通知单", item.state)
    if response_deadline < issued_on:
        raise ValidationFailed("回复时限不能早于下发日期", field="responseDeadline")
    if not recipients:
        raise ValidationFailed("至少选择一名接收人", field="recipients")
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationFailed(f"接收人不能超过 {MAX_RECIPIENTS} 名", field="recipients")
    _no_duplicates(r.person_id for r in recipients)
    for r in recipients:
        if r.person_id not in people_units:
            raise ValidationFailed(f"人员不存在: {r.person_id}", field="recipients")
        if r.role is RecipientRole.RESPONSIBLE_LEADER and r.person_id != item.responsible_leader_id:
            raise ValidationFailed("该人员不是本事项的分包负责人", field="recipients")
        if r.role is RecipientRole.OWNER and r.person_id not in item.owner_ids:
            raise ValidationFailed("该人员不是本事项的具体负责人", field="recipients")
        if r.role in (RecipientRole.UNIT_HEAD, RecipientRole.UNIT_SUPERVISOR) and (
            people_units[r.person_id] not in item.unit_ids
        ):
            raise ValidationFailed("该人员不属于本事项的牵头或配合单位", field="recipients")


def _no_duplicates(ids: Iterable[UUID]) -> None:
    seen: set[UUID] = set()
    for i in ids:
        if i in seen:
            raise ValidationFailed("接收人重复", field="recipients")
        seen.add(i)


def _state_label(state: str) -> str:
    return {"COMPLETED": "办结", "CANCELLED": "撤销"}.get(state, state)
