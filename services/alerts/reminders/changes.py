"""Who is told what when the office moves a running item (pure): 修改 (a new owner
gets the item, a removed one is told; a new co-unit must sign, a removed one is told),
转办 (the new unit must sign, the old one is released) and 调整时限 (every unit and
person on the item learns the new limit).

Each notice is a ``Due`` of kind ITEM_CHANGED whose reason key names the tasks event
and the person or unit, so a redelivered event never notifies twice. ``params["what"]``
picks the text (messages.changed) and ``params["unit_id"]`` the unit the text names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.alerts.reminders.domain import Due, ItemPeople, Kind


@dataclass(frozen=True)
class Notice:
    """One notice: the people it goes to (a unit's head and supervisor, or the persons
    named as owners) and the due reminder (audience: the default unit roles + owner)."""

    people: ItemPeople
    due: Due


def _unit(event_id: str, what: str, unit: str, lead: str, **params: Any) -> Notice:
    due = Due(
        Kind.ITEM_CHANGED,
        f"changed:{event_id}:{what}:{unit}",
        (unit,),
        {"what": what, "unit_id": unit, **params},
    )
    return Notice(ItemPeople((unit,), None, ()), due)


def _person(event_id: str, what: str, person: str, lead: str, **params: Any) -> Notice:
    due = Due(
        Kind.ITEM_CHANGED,
        f"changed:{event_id}:{what}:{person}",
        (),
        {"what": what, "unit_id": lead, **params},
    )
    return Notice(ItemPeople((), None, (person,)), due)


def updated_notices(
    event_id: str, lead: str, detail: dict[str, Any], leader_id: str | None
) -> list[Notice]:
    """修改: added / removed owners, a new responsible leader, added / removed co-units."""
    out = [_person(event_id, "OWNER_ADDED", p, lead) for p in detail.get("added_owner_ids", [])]
    out += [
        _person(event_id, "OWNER_REMOVED", p, lead, reason=detail.get("reason", ""))
        for p in detail.get("removed_owner_ids", [])
    ]
    changes = detail.get("changes", {})
    if "responsible_leader_id" in changes:
        old = changes["responsible_leader_id"].get("before")
        if leader_id:
            out.append(_person(event_id, "LEADER_ADDED", leader_id, lead))
        if old:
            out.append(
                _person(event_id, "LEADER_REMOVED", old, lead, reason=detail.get("reason", ""))
            )
    out += [_unit(event_id, "UNIT_ADDED", u, lead) for u in detail.get("added_unit_ids", [])]
    out += [
        _unit(event_id, "UNIT_REMOVED", u, lead, reason=detail.get("reason", ""))
        for u in detail.get("removed_unit_ids", [])
    ]
    return out


def transferred_notices(event_id: str, lead: str, detail: dict[str, Any]) -> list[Notice]:
    """转办: the new unit must sign for it; the old one is released."""
    new, old = detail.get("to_unit_id"), detail.get("from_unit_id")
    if not new or not old:
        return []  # nothing to tell without both units (never block the re-colouring)
    return [
        _unit(event_id, "TRANSFERRED_IN", new, lead, reason=detail.get("reason", "")),
        _unit(event_id, "TRANSFERRED_OUT", old, lead, to_unit_id=new),
    ]


def deadline_reset_notices(
    event_id: str,
    unit_ids: list[str],
    owner_ids: list[str],
    leader_id: str | None,
    detail: dict[str, Any],
) -> list[Notice]:
    """调整时限: every unit on the item, its owners and its responsible leader."""
    previous = detail.get("previous_deadline")
    params = {
        "previous_deadline": date.fromisoformat(previous) if previous else None,
        "reason": detail.get("reason", ""),
    }
    lead = unit_ids[0] if unit_ids else ""
    out = [_unit(event_id, "DEADLINE_RESET", u, lead, **params) for u in unit_ids]
    people = list(dict.fromkeys([*owner_ids, *([leader_id] if leader_id else [])]))
    out += [_person(event_id, "DEADLINE_RESET", p, lead, **params) for p in people]
    return out
