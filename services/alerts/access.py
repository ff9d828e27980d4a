"""Who sees what in alerts (pure): colours and counts by unit, inboxes, the notification log.

The office and leaders see every unit; anyone else sees the items of their own units.
A person reads their own inbox and preferences; the office may name anyone's. Callers
pass the Principal and the plain data the rule needs; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from services.core.auth import Principal, Role
from services.core.errors import Forbidden
from services.core.ids import parse_uuid, valid_uuids

# Roles that may read the rule settings in force and the notification log.
RULE_READERS = (Role.SUPERVISION_OFFICE, Role.LEADER)
LOG_READERS = (Role.SUPERVISION_OFFICE, Role.LEADER)
# The office alone sets rule settings.
RULE_WRITERS = (Role.SUPERVISION_OFFICE,)


def unit_scope(principal: Principal, requested: Iterable[str] | None) -> list[UUID] | None:
    """Units a caller may count over: None = everything (office, leaders)."""
    wanted = {str(u) for u in requested} if requested else None
    if not principal.sees_everything:
        own = set(principal.unit_ids)
        wanted = own if wanted is None else wanted & own
    if wanted is None:
        return None
    return valid_uuids(wanted)


def sees_units(principal: Principal, unit_ids: Iterable[str]) -> bool:
    """Whether a colour change of an item in these units reaches the caller."""
    return principal.sees_everything or bool(set(unit_ids) & principal.unit_ids)


def inbox_person(principal: Principal, person_id: str | None) -> UUID:
    """Whose inbox: the caller's own; the office may name anyone."""
    if person_id is None or str(person_id) == principal.subject:
        return parse_uuid(principal.subject, "personId")
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只能查看本人的消息")
    return parse_uuid(str(person_id), "personId")


def check_may_resend(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以重发消息")


def check_may_set_robot(principal: Principal) -> None:
    if not principal.has(Role.SUPERVISION_OFFICE):
        raise Forbidden("只有督查办可以设置群机器人")
