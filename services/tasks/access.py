"""Who may do what to which item (pure; the same rules for every module).

- SUPERVISION_OFFICE: sees everything; office operations on every item.
- LEADER: sees everything; adds instructions (批示) and chases (催办).
- UNIT_HEAD / UNIT_SUPERVISOR: see items where their unit is lead or co-unit, and
  act for their own unit's assignment there.
- CADRE: sees items they own (具体负责人) or lead (分包负责人); no mutations.
- INTEGRATION: acts only for units in its token (`units`) and operations in its
  token (`ops`, the Operation values below); sees items of those units.

``can(actor, op, scope)``: ``actor`` is anything shaped like services.core.auth.Principal
(subject, roles, unit_ids, operations); ``scope`` describes the item (and, for unit
operations, the unit acted for). ``sees_item`` applies the read rule to an item row;
``list_scope`` and ``audit_scope`` say what a list or the audit trail may contain, as
plain data the stores turn into SQL conditions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from services.core.errors import Forbidden
from services.core.ids import try_uuid, valid_uuids


class Operation(StrEnum):
    ITEM_READ = "ITEM_READ"
    ITEM_CREATE = "ITEM_CREATE"
    # unit operations (for the unit's own assignment)
    ASSIGNMENT_SIGN = "ASSIGNMENT_SIGN"
    ASSIGNMENT_RETURN = "ASSIGNMENT_RETURN"
    PROGRESS_REPORT = "PROGRESS_REPORT"
    COMPLETION_REQUEST = "COMPLETION_REQUEST"
    EXTENSION_REQUEST = "EXTENSION_REQUEST"
    # office operations
    ASSIGNMENT_REASSIGN = "ASSIGNMENT_REASSIGN"
    COMPLETION_VERIFY = "COMPLETION_VERIFY"
    COMPLETION_SEND_BACK = "COMPLETION_SEND_BACK"
    REPORT_VERIFY = "REPORT_VERIFY"
    EXTENSION_DECIDE = "EXTENSION_DECIDE"
    ITEM_SUSPEND = "ITEM_SUSPEND"
    ITEM_RESUME = "ITEM_RESUME"
    ITEM_CANCEL = "ITEM_CANCEL"
    NOTICE_ISSUE = "NOTICE_ISSUE"
    ORGANISATION_MANAGE = "ORGANISATION_MANAGE"
    ITEM_UPDATE = "ITEM_UPDATE"  # 修改
    ITEM_TRANSFER = "ITEM_TRANSFER"  # 转办
    DEADLINE_RESET = "DEADLINE_RESET"  # 调整时限
    INSTRUCTION_RECORD = "INSTRUCTION_RECORD"  # 代录批示
    # office or leaders
    ITEM_CHASE = "ITEM_CHASE"
    # leaders
    INSTRUCTION_ADD = "INSTRUCTION_ADD"
    INSTRUCTION_CONFIRM = "INSTRUCTION_CONFIRM"  # a recorded instruction, by its leader


UNIT_OPERATIONS = frozenset(
    {
        Operation.ASSIGNMENT_SIGN,
        Operation.ASSIGNMENT_RETURN,
        Operation.PROGRESS_REPORT,
        Operation.COMPLETION_REQUEST,
        Operation.EXTENSION_REQUEST,
    }
)
OFFICE_OPERATIONS = frozenset(
    {
        Operation.ITEM_CREATE,
        Operation.ASSIGNMENT_REASSIGN,
        Operation.COMPLETION_VERIFY,
        Operation.COMPLETION_SEND_BACK,
        Operation.REPORT_VERIFY,
        Operation.EXTENSION_DECIDE,
        Operation.ITEM_SUSPEND,
        Operation.ITEM_RESUME,
        Operation.ITEM_CANCEL,
        Operation.NOTICE_ISSUE,
        Operation.ORGANISATION_MANAGE,
        Operation.ITEM_CHASE,
        Operation.ITEM_UPDATE,
        Operation.ITEM_TRANSFER,
        Operation.DEADLINE_RESET,
        Operation.INSTRUCTION_RECORD,
    }
)
LEADER_OPERATIONS = frozenset(
    {Operation.INSTRUCTION_ADD, Operation.ITEM_CHASE, Operation.INSTRUCTION_CONFIRM}
)

OFFICE = "SUPERVISION_OFFICE"
LEADER = "LEADER"
UNIT_ROLES = frozenset({"UNIT_HEAD", "UNIT_SUPERVISOR"})
CADRE = "CADRE"
INTEGRATION = "INTEGRATION"


class PrincipalLike(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def roles(self) -> frozenset[str] | frozenset[object]: ...
    @property
    def unit_ids(self) -> frozenset[str]: ...
    @property
    def operations(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class ItemScope:
    """The facts about an item that access depends on (ids as strings).

    ``acting_unit_id``: the unit whose assignment a unit operation acts for.
    An empty scope (no units) stands for "no item yet" (e.g. ITEM_CREATE).
    """

    unit_ids: frozenset[str] = field(default_factory=frozenset)
    owner_ids: frozenset[str] = field(default_factory=frozenset)
    responsible_leader_id: str | None = None
    acting_unit_id: str | None = None

    @classmethod
    def of(
        cls,
        lead_unit_id: object,
        co_unit_ids: Iterable[object] = (),
        owner_ids: Iterable[object] = (),
        responsible_leader_id: object | None = None,
        acting_unit_id: object | None = None,
    ) -> ItemScope:
        return cls(
            unit_ids=frozenset({str(lead_unit_id), *(str(u) for u in co_unit_ids)}),
            owner_ids=frozenset(str(o) for o in owner_ids),
            responsible_leader_id=str(responsible_leader_id) if responsible_leader_id else None,
            acting_unit_id=str(acting_unit_id) if acting_unit_id else None,
        )


def _roles(actor: PrincipalLike) -> set[str]:
    return {str(r) for r in actor.roles}


def can_read(actor: PrincipalLike, scope: ItemScope) -> bool:
    roles = _roles(actor)
    if roles & {OFFICE, LEADER}:
        return True
    units = {str(u) for u in actor.unit_ids}
    if roles & (UNIT_ROLES | {INTEGRATION}) and units & scope.unit_ids:
        return True
    return CADRE in roles and (
        actor.subject in scope.owner_ids or actor.subject == scope.responsible_leader_id
    )


def can(actor: PrincipalLike, op: Operation | str, scope: ItemScope) -> bool:
    """True when ``actor`` may perform ``op`` on the item described by ``scope``."""
    op = Operation(op)
    if op == Operation.ITEM_READ:
        return can_read(actor, scope)
    roles = _roles(actor)
    if OFFICE in roles and op in OFFICE_OPERATIONS:
        return True
    if LEADER in roles and op in LEADER_OPERATIONS:
        return True
    if op not in UNIT_OPERATIONS:
        return False
    unit = scope.acting_unit_id
    if unit is None or unit not in scope.unit_ids:
        return False
    units = {str(u) for u in actor.unit_ids}
    if roles & UNIT_ROLES and unit in units:
        return True
    return INTEGRATION in roles and unit in units and op.value in actor.operations


def require_office(actor: PrincipalLike) -> None:
    """Organisation and item creation are the supervision office's."""
    if OFFICE not in _roles(actor):
        raise Forbidden("只有督查办可以执行此操作")


def sees_item(actor: PrincipalLike, item: Mapping[str, Any]) -> bool:
    """The item-read rule, for an item row."""
    scope = ItemScope.of(
        item["lead_unit_id"], item["co_unit_ids"], item["owner_ids"], item["responsible_leader_id"]
    )
    return can_read(actor, scope)


# --- what a list may contain ---------------------------------------------------------


@dataclass
class Scope:
    """What a caller who does not see everything may read (see ``can_read``)."""

    unit_ids: list[UUID]
    person_id: UUID | None


def list_scope(actor: PrincipalLike) -> Scope | None:
    """What a list may contain (None: everything), by the rules of ``can_read``:
    unit roles and integration accounts see their units' items, cadres their own."""
    roles = _roles(actor)
    if roles & {OFFICE, LEADER}:
        return None
    units: list[UUID] = []
    if roles & (UNIT_ROLES | {INTEGRATION}):
        units = valid_uuids(actor.unit_ids)
    person = try_uuid(actor.subject) if CADRE in roles else None
    return Scope(units, person)


def item_scope(actor: PrincipalLike) -> tuple[list[UUID] | None, UUID | None]:
    """(unit ids, person id) a caller is limited to; (None, None) means everything."""
    scope = list_scope(actor)
    return (None, None) if scope is None else (scope.unit_ids, scope.person_id)


def audit_scope(actor: PrincipalLike) -> tuple[list[UUID], UUID | None, str] | None:
    """None for the office and leaders (everything); else (units, person, own actor id):
    entries on items the item list would show the caller, plus the caller's own."""
    scope = list_scope(actor)
    if scope is None:
        return None
    return scope.unit_ids, scope.person_id, actor.subject
