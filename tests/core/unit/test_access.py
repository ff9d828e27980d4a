"""The one access policy (services/core/access.py): the rules the services share."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.core import access
from services.core.auth import Principal, Role

A, B = str(uuid4()), str(uuid4())
OWNER, OTHER = str(uuid4()), str(uuid4())
ITEM_A = {"lead_unit_id": A, "co_unit_ids": [], "owner_ids": [OWNER], "responsible_leader_id": None}
ITEM_BA = {"unit_ids": [B, A], "owner_ids": [], "responsible_leader_id": OTHER}


def p(*roles: Role, subject: str = "x", units: tuple[str, ...] = ()) -> Principal:
    return Principal(subject, roles=frozenset(roles), unit_ids=frozenset(units))


@pytest.mark.parametrize(
    ("principal", "item_a", "item_ba"),
    [
        (p(Role.SUPERVISION_OFFICE), True, True),
        (p(Role.LEADER), True, True),
        (p(Role.UNIT_HEAD, units=(A,)), True, True),
        (p(Role.UNIT_SUPERVISOR, units=(B,)), False, True),
        (p(Role.INTEGRATION, units=(A,)), True, True),
        (p(Role.INTEGRATION), False, False),
        # a cadre: own items, whatever units the token names
        (p(Role.CADRE, subject=OWNER, units=(B,)), True, False),
        (p(Role.CADRE, subject=OTHER, units=(A,)), False, True),
        (p(Role.CADRE, units=(A, B)), False, False),
    ],
)
def test_item_read_rule_on_rows_of_any_service(
    principal: Principal, item_a: bool, item_ba: bool
) -> None:
    assert access.sees_item(principal, ITEM_A) is item_a
    assert access.sees_item(principal, ITEM_BA) is item_ba


def test_list_scope_matches_the_read_rule() -> None:
    assert access.list_scope(p(Role.LEADER)) is None
    cadre = access.list_scope(p(Role.CADRE, subject=OWNER, units=(A,)))
    assert cadre is not None and cadre.unit_ids == [] and str(cadre.person_id) == OWNER
    head = access.list_scope(p(Role.UNIT_HEAD, units=(A, "not-a-uuid")))
    assert head is not None and [str(u) for u in head.unit_ids] == [A] and head.person_id is None


def test_unit_aggregates_are_the_unit_scoped_roles_units() -> None:
    assert access.counted_units(p(Role.SUPERVISION_OFFICE), None) is None
    assert [str(u) for u in access.counted_units(p(Role.SUPERVISION_OFFICE), [B]) or []] == [B]
    assert [str(u) for u in access.counted_units(p(Role.UNIT_HEAD, units=(A,)), None) or []] == [A]
    assert access.counted_units(p(Role.UNIT_HEAD, units=(A,)), [B]) == []
    assert access.counted_units(p(Role.CADRE, units=(A,)), None) == []
    assert access.sees_unit_aggregates(p(Role.INTEGRATION, units=(A,)), A)
    assert not access.sees_unit_aggregates(p(Role.CADRE, units=(A,)), A)


def test_notices_inboxes_and_contacts() -> None:
    item = access.ItemScope.of_row(ITEM_A)
    moved = p(Role.UNIT_SUPERVISOR, subject=OTHER, units=(B,))
    assert access.sees_notice(moved, item, [OTHER])  # a recipient reads the notice
    assert not access.can_read(moved, item)  # but not the item
    assert not access.sees_notice(moved, item, [OWNER])
    assert access.sees_notice(p(Role.UNIT_HEAD, units=(A,)), item, [])
    assert access.sees_inbox(moved, None) and access.sees_inbox(moved, OTHER)
    assert not access.sees_inbox(moved, OWNER)
    assert access.sees_inbox(p(Role.SUPERVISION_OFFICE), OWNER)
    assert not access.sees_inbox(p(Role.LEADER), OWNER)
    assert access.sees_contact(moved, OTHER) and not access.sees_contact(moved, OWNER)
    assert access.sees_contact(p(Role.LEADER), OWNER)
