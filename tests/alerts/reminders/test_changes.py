"""Who is told what when the office moves an item (pure)."""

from __future__ import annotations

from services.alerts.reminders import changes


def test_edit_tells_new_and_removed_owners_leaders_and_units() -> None:
    detail = {
        "changes": {"responsible_leader_id": {"before": "L1", "after": "L2"}},
        "added_owner_ids": ["O2"],
        "removed_owner_ids": ["O1"],
        "added_unit_ids": ["U3"],
        "removed_unit_ids": ["U2"],
        "reason": "职责调整",
    }
    notices = changes.updated_notices("e1", "U1", detail, "L2")
    got = {(n.due.params["what"], n.people.owner_ids or n.people.unit_ids) for n in notices}
    assert got == {
        ("OWNER_ADDED", ("O2",)),
        ("OWNER_REMOVED", ("O1",)),
        ("LEADER_ADDED", ("L2",)),
        ("LEADER_REMOVED", ("L1",)),
        ("UNIT_ADDED", ("U3",)),
        ("UNIT_REMOVED", ("U2",)),
    }
    assert len({n.due.reason_key for n in notices}) == len(notices)  # each once
    assert all(n.due.reason_key.startswith("changed:e1:") for n in notices)


def test_transfer_tells_both_units_and_a_reset_everyone_on_the_item() -> None:
    moved = changes.transferred_notices("e2", "U9", {"from_unit_id": "U1", "to_unit_id": "U9"})
    assert [(n.due.params["what"], n.people.unit_ids) for n in moved] == [
        ("TRANSFERRED_IN", ("U9",)),
        ("TRANSFERRED_OUT", ("U1",)),
    ]
    assert changes.transferred_notices("e3", "U9", {}) == []
    reset = changes.deadline_reset_notices(
        "e4", ["U1", "U2"], ["O1"], "L1", {"previous_deadline": "2018-06-01", "reason": "会议"}
    )
    assert sorted(n.due.reason_key for n in reset) == [
        "changed:e4:DEADLINE_RESET:L1",
        "changed:e4:DEADLINE_RESET:O1",
        "changed:e4:DEADLINE_RESET:U1",
        "changed:e4:DEADLINE_RESET:U2",
    ]
