"""Who may see what in evaluation (pure): the rules take the data they need as arguments;
the loaders (``ledger/loaders.py``) fetch that data."""

from __future__ import annotations

from services.core.auth import Principal, Role


def needs_person_unit(principal: Principal, person_id: str) -> bool:
    """Whether seeing ``person_id``'s file depends on the unit that person belongs to."""
    if principal.sees_everything or principal.subject == person_id:
        return False
    return principal.has(Role.UNIT_HEAD) and bool(principal.unit_ids)


def may_see_person(principal: Principal, person_id: str, person_unit_id: str | None) -> bool:
    """Cadres see their own file, unit heads their unit's cadres, the office and leaders all.

    ``person_unit_id`` is the person's unit (None when unknown or not looked up).
    """
    if principal.sees_everything or principal.subject == person_id:
        return True
    if principal.has(Role.UNIT_HEAD) and principal.unit_ids:
        return person_unit_id is not None and person_unit_id in principal.unit_ids
    return False


def may_see_unit(principal: Principal, unit_id: str) -> bool:
    return principal.sees_everything or (
        principal.has(Role.UNIT_HEAD) and unit_id in principal.unit_ids
    )


def ranking_rows_visible(principal: Principal, person_unit_id: str | None) -> bool:
    """A ranking row (a cadre) the caller sees: every row, or the cadres of the caller's units."""
    return principal.sees_everything or (
        person_unit_id is not None and person_unit_id in principal.unit_ids
    )
