"""The alerts service's view of the one access policy (``services.core.access``, ADR 0013):
colours and counts, inboxes, the notification log. Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from services.core import access as policy
from services.core.access import ItemScope, Scope, can_read, list_scope, sees_item
from services.core.auth import Principal, Role
from services.core.errors import Forbidden
from services.core.ids import parse_uuid

__all__ = [
    "ItemScope",
    "Scope",
    "can_read",
    "list_scope",
    "sees_item",
]

# Roles that may read the rule settings in force and the notification log.
RULE_READERS = (Role.SUPERVISION_OFFICE, Role.LEADER)
LOG_READERS = (Role.SUPERVISION_OFFICE, Role.LEADER)
# The office alone sets rule settings.
RULE_WRITERS = (Role.SUPERVISION_OFFICE,)


def unit_scope(principal: Principal, requested: Iterable[str] | None) -> list[UUID] | None:
    """Units a per-unit count covers: None = every unit (office, leaders)."""
    return policy.counted_units(principal, requested)


def sees_unit_counts(principal: Principal, unit_id: str) -> bool:
    return policy.sees_unit_aggregates(principal, unit_id)


def inbox_person(principal: Principal, person_id: str | None) -> UUID:
    """Whose inbox: the caller's own; the office may name anyone."""
    if not policy.sees_inbox(principal, person_id):
        raise Forbidden("只能查看本人的消息")
    return parse_uuid(principal.subject if person_id is None else str(person_id), "personId")


def check_may_resend(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以重发消息")


def check_may_set_robot(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以设置群机器人")
