"""Who may see a performance file, a unit's evaluation, a ranking row (pure rules)."""

from __future__ import annotations

import pytest

from services.core.auth import Principal, Role
from services.evaluation import access


def p(*roles: Role, subject: str = "me", units: tuple[str, ...] = ()) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles), unit_ids=frozenset(units))


@pytest.mark.parametrize(
    ("principal", "person_unit", "allowed"),
    [
        (p(Role.SUPERVISION_OFFICE), None, True),
        (p(Role.LEADER), "u9", True),
        (p(Role.CADRE, subject="cadre"), None, True),  # their own file
        (p(Role.CADRE, subject="someone"), "u1", False),
        (p(Role.UNIT_HEAD, units=("u1",)), "u1", True),
        (p(Role.UNIT_HEAD, units=("u1",)), "u2", False),
        (p(Role.UNIT_HEAD, units=("u1",)), None, False),  # person unknown
        (p(Role.UNIT_SUPERVISOR, units=("u1",)), "u1", False),
    ],
)
def test_who_may_see_a_performance_file(
    principal: Principal, person_unit: str | None, allowed: bool
) -> None:
    assert access.may_see_person(principal, "cadre", person_unit) is allowed


def test_the_unit_is_looked_up_only_when_it_decides() -> None:
    assert not access.needs_person_unit(p(Role.SUPERVISION_OFFICE), "cadre")
    assert not access.needs_person_unit(p(Role.UNIT_HEAD, subject="cadre", units=("u1",)), "cadre")
    assert not access.needs_person_unit(p(Role.UNIT_HEAD), "cadre")
    assert access.needs_person_unit(p(Role.UNIT_HEAD, units=("u1",)), "cadre")


def test_unit_evaluation_and_ranking_rows() -> None:
    head = p(Role.UNIT_HEAD, units=("u1",))
    assert access.may_see_unit(p(Role.LEADER), "u2")
    assert access.may_see_unit(head, "u1") and not access.may_see_unit(head, "u2")
    assert not access.may_see_unit(p(Role.CADRE, units=("u1",)), "u1")
    assert access.ranking_rows_visible(head, "u1")
    assert not access.ranking_rows_visible(head, "u2")
    assert not access.ranking_rows_visible(head, None)
    assert access.ranking_rows_visible(p(Role.SUPERVISION_OFFICE), None)
