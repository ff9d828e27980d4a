"""A unit the office transferred an item away from (转办), or removed as a co-unit, is
history in the tasks snapshot: evaluation's projection neither counts it due nor late."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.contracts import tasks as t
from services.evaluation.ledger.projection import unit_rows


def test_ended_assignments_are_not_projected_for_unit_evaluation() -> None:
    item = t.ItemSnapshot(
        id="00000000-0000-0000-0000-000000000001",
        code="DB-2018-0001",
        title="背街小巷整治",
        source="KEY_WORK",
        start_date=date(2018, 1, 1),
        deadline=date(2018, 3, 1),
        original_deadline=date(2018, 3, 1),
        state="COMPLETED",
        completed_at=datetime(2018, 4, 1, tzinfo=UTC),  # late
        lead_unit_id="00000000-0000-0000-0000-00000000000b",
        assignments=[
            t.AssignmentSnapshot(
                unit_id="00000000-0000-0000-0000-00000000000a", role="LEAD", state="TRANSFERRED"
            ),
            t.AssignmentSnapshot(
                unit_id="00000000-0000-0000-0000-00000000000c", role="CO", state="WITHDRAWN"
            ),
            t.AssignmentSnapshot(
                unit_id="00000000-0000-0000-0000-00000000000b", role="LEAD", state="COMPLETED"
            ),
        ],
    )
    rows = unit_rows(item)
    assert [str(r[0])[-1] for r in rows] == ["b"]
    assert rows[0][5] == "LATE"  # the unit that had it at the end answers for it
