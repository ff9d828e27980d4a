"""Who may see and do what: the one access policy of every service (pure; ADR 0013).

Callers pass the Principal (``services.core.auth``) and plain data about the thing
asked for (an item's unit ids, owner ids and responsible leader; a notice's recipients;
a person's unit). Nothing here does I/O; each service fetches the facts from its own
tables or projections and asks these functions.

The rule table (one row per role; a token may carry several roles, the widest wins):

- SUPERVISION_OFFICE: every item, notice, person, performance file, unit aggregate,
  notification log, inbox; every office operation.
- LEADER: reads as the office; adds instructions (批示) and chases (催办).
- UNIT_HEAD / UNIT_SUPERVISOR: items where one of their units (token ``units``) is the
  lead or a co-unit, and the notices, colours, outcomes and audit entries of those
  items; their units' aggregates (counts); unit operations for their own unit's
  assignment. A UNIT_HEAD also reads the performance files of their units' people and
  their units' evaluation.
- CADRE: the items they own (具体负责人) or lead (分包负责人), whatever units the token
  names; their own performance file; no unit aggregates; no mutations.
- INTEGRATION: the items of the units in its token, those units' aggregates, and the
  unit operations named in its ``ops`` claim for those units; nothing else.
- Everyone signed in: the organisation directory (units; people's names, ranks,
  positions, roles, unit), their own inbox and channel preferences, the notices
  addressed to them (but not the item of such a notice unless they read the item),
  their own audit entries. Contact details: office, leaders and the person only.

``can(actor, op, scope)`` decides item operations; ``can_read(actor, scope)`` and
``sees_item(actor, row)`` the item-read rule; ``list_scope`` says what a list or count
may contain as plain data the stores turn into SQL conditions.
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
UNIT_HEAD = "UNIT_HEAD"
UNIT_ROLES = frozenset({UNIT_HEAD, "UNIT_SUPERVISOR"})
CADRE = "CADRE"
INTEGRATION = "INTEGRATION"
# Roles whose token units scope what they read (items, colours, counts).
UNIT_SCOPED = UNIT_ROLES | {INTEGRATION}

# Roles that read everything of a kind and the office-only settings.
READ_ALL = (OFFICE, LEADER)
OFFICE_ONLY = (OFFICE,)


class PrincipalLike(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def roles(self) -> frozenset[str] | frozenset[object]: ...
    @property
    def unit_ids(self) -> frozenset[str]: ...
    @property
    def operations(self) -> frozenset[str]: ...


def _roles(actor: PrincipalLike) -> set[str]:
    return {str(r) for r in actor.roles}


def sees_everything(actor: PrincipalLike) -> bool:
    return bool(_roles(actor) & set(READ_ALL))


def _scoped_units(actor: PrincipalLike) -> set[str]:
    """The token's units when a role scoped by units holds them (cadres' units don't count)."""
    return {str(u) for u in actor.unit_ids} if _roles(actor) & UNIT_SCOPED else set()


# --- items ---------------------------------------------------------------------------


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
        units = {str(u) for u in co_unit_ids}
        if lead_unit_id is not None:
            units.add(str(lead_unit_id))
        return cls(
            unit_ids=frozenset(units),
            owner_ids=frozenset(str(o) for o in owner_ids or ()),
            responsible_leader_id=str(responsible_leader_id) if responsible_leader_id else None,
            acting_unit_id=str(acting_unit_id) if acting_unit_id else None,
        )

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> ItemScope:
        """From a row of any service's item table or projection: ``unit_ids`` (every
        unit on the item) or ``lead_unit_id`` + ``co_unit_ids``; ``owner_ids``;
        ``responsible_leader_id``."""
        keys = set(row.keys())
        units: list[object] = list(row["unit_ids"] or []) if "unit_ids" in keys else []
        if "co_unit_ids" in keys:
            units += list(row["co_unit_ids"] or [])
        return cls.of(
            row["lead_unit_id"] if "lead_unit_id" in keys else None,
            units,
            row["owner_ids"] if "owner_ids" in keys else (),
            row["responsible_leader_id"] if "responsible_leader_id" in keys else None,
        )


def can_read(actor: PrincipalLike, scope: ItemScope) -> bool:
    """The item-read rule (see the module docstring)."""
    roles = _roles(actor)
    if roles & set(READ_ALL):
        return True
    if _scoped_units(actor) & scope.unit_ids:
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


def sees_item(actor: PrincipalLike, item: Mapping[str, Any]) -> bool:
    """The item-read rule, for an item row (see ``ItemScope.of_row``)."""
    return can_read(actor, ItemScope.of_row(item))


def require_office(actor: PrincipalLike) -> None:
    """Organisation and item creation are the supervision office's."""
    if OFFICE not in _roles(actor):
        raise Forbidden("只有督查办可以执行此操作")


# --- what a list or a count may contain ----------------------------------------------


@dataclass
class Scope:
    """What a caller who does not see everything may read (see ``can_read``): the items
    of ``unit_ids`` and, for a cadre, the items ``person_id`` owns or leads."""

    unit_ids: list[UUID]
    person_id: UUID | None


def list_scope(actor: PrincipalLike) -> Scope | None:
    """What a list or count of items may contain (None: everything)."""
    if sees_everything(actor):
        return None
    person = try_uuid(actor.subject) if CADRE in _roles(actor) else None
    return Scope(valid_uuids(_scoped_units(actor)), person)


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


# --- units: aggregates and evaluation ------------------------------------------------


def aggregate_units(actor: PrincipalLike) -> frozenset[str] | None:
    """Units whose per-unit aggregates (colour counts by unit) the caller reads:
    None = every unit (office, leaders); unit roles and integration their token's units;
    anyone else none."""
    if sees_everything(actor):
        return None
    return frozenset(_scoped_units(actor))


def sees_unit_aggregates(actor: PrincipalLike, unit_id: str) -> bool:
    units = aggregate_units(actor)
    return units is None or str(unit_id) in units


def counted_units(actor: PrincipalLike, requested: Iterable[object] | None) -> list[UUID] | None:
    """The units a per-unit aggregate covers: the requested ones (or all) within the
    caller's ``aggregate_units``; None = every unit."""
    wanted = {str(u) for u in requested} if requested else None
    own = aggregate_units(actor)
    if own is not None:
        wanted = set(own) if wanted is None else wanted & own
    return None if wanted is None else valid_uuids(wanted)


def sees_unit_evaluation(actor: PrincipalLike, unit_id: str) -> bool:
    """A unit's differentiated evaluation: office and leaders; a unit head their units."""
    return sees_everything(actor) or (
        UNIT_HEAD in _roles(actor) and str(unit_id) in {str(u) for u in actor.unit_ids}
    )


# --- people --------------------------------------------------------------------------


def sees_contact(actor: PrincipalLike, person_id: str) -> bool:
    """Mobile, WeCom id, e-mail: office, leaders and the person themself."""
    return sees_everything(actor) or actor.subject == str(person_id)


def needs_person_unit(actor: PrincipalLike, person_id: str) -> bool:
    """Whether seeing ``person_id``'s performance file depends on that person's unit."""
    if sees_everything(actor) or actor.subject == str(person_id):
        return False
    return UNIT_HEAD in _roles(actor) and bool(actor.unit_ids)


def sees_performance(actor: PrincipalLike, person_id: str, person_unit_id: str | None) -> bool:
    """A performance file (政绩档案): the person's own; a unit head their units' people;
    the office and leaders all. ``person_unit_id``: None when unknown or not looked up."""
    if sees_everything(actor) or actor.subject == str(person_id):
        return True
    if UNIT_HEAD in _roles(actor) and actor.unit_ids:
        return person_unit_id is not None and person_unit_id in {str(u) for u in actor.unit_ids}
    return False


def sees_ranking_row(actor: PrincipalLike, person_unit_id: str | None) -> bool:
    """A row of the cadre ranking: every row, or the cadres of the caller's units."""
    return sees_everything(actor) or (
        person_unit_id is not None and person_unit_id in {str(u) for u in actor.unit_ids}
    )


# --- notices, inboxes ----------------------------------------------------------------


def sees_notice(actor: PrincipalLike, item: ItemScope | None, recipient_ids: Iterable[str]) -> bool:
    """A notice (督查通知单): whoever reads its item, and its recipients. Being a recipient
    does not open the item itself (``Notice.item`` follows ``can_read``)."""
    if item is not None and can_read(actor, item):
        return True
    return actor.subject in {str(r) for r in recipient_ids}


def sees_inbox(actor: PrincipalLike, person_id: str | None) -> bool:
    """An inbox and channel preferences: one's own; the office anyone's."""
    return person_id is None or str(person_id) == actor.subject or OFFICE in _roles(actor)


def reads_all(actor: PrincipalLike) -> bool:
    """The notification log and rule settings in force: office and leaders."""
    return sees_everything(actor)
