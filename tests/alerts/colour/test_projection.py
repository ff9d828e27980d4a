"""Per-unit progress in the projection: when did each unit last gain percent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.alerts.colour.service import facts_of, merge_units
from services.contracts.tasks import AssignmentSnapshot, ItemSnapshot, PlanNode


def snapshot(*assignments: AssignmentSnapshot) -> ItemSnapshot:
    return ItemSnapshot(
        id="i",
        code="DB-2018-0001",
        title="t",
        source="KEY_WORK",
        start_date=date(2018, 6, 1),
        deadline=date(2018, 6, 29),
        original_deadline=date(2018, 6, 29),
        state="IN_PROGRESS",
        lead_unit_id="a",
        plan_nodes=[PlanNode(date=date(2018, 6, 15), percent=60)],
        assignments=list(assignments),
    )


T1 = datetime(2018, 6, 4, 17, 0, tzinfo=UTC)  # 5 June 01:00 in Shanghai
T2 = datetime(2018, 6, 11, 2, 0, tzinfo=UTC)
EVENT_AT = datetime(2018, 6, 12, 2, 0, tzinfo=UTC)


def test_a_gain_moves_last_gain_to_the_report_time_in_shanghai() -> None:
    units = merge_units(
        [], snapshot(AssignmentSnapshot(unit_id="a", percent=20, last_report_at=T1)), EVENT_AT
    )
    assert units[0]["last_gain_at"] == T1.isoformat()
    assert units[0]["last_gain_on"] == "2018-06-05"  # the Shanghai date, not UTC's


def test_a_report_without_gain_keeps_the_last_gain() -> None:
    first = merge_units(
        [], snapshot(AssignmentSnapshot(unit_id="a", percent=20, last_report_at=T1)), EVENT_AT
    )
    again = merge_units(
        first, snapshot(AssignmentSnapshot(unit_id="a", percent=20, last_report_at=T2)), EVENT_AT
    )
    assert again[0]["last_gain_on"] == "2018-06-05"
    assert again[0]["last_report_at"] == T2.isoformat()


def test_gain_without_report_time_uses_the_event_time_and_units_are_independent() -> None:
    units = merge_units(
        [
            {
                "unit_id": "b",
                "percent": 50,
                "last_gain_at": T1.isoformat(),
                "last_gain_on": "2018-06-05",
            }
        ],
        snapshot(
            AssignmentSnapshot(unit_id="a", percent=10),
            AssignmentSnapshot(unit_id="b", role="CO", percent=50, state="COMPLETED"),
        ),
        EVENT_AT,
    )
    assert units[0]["last_gain_on"] == "2018-06-12"
    assert units[1]["last_gain_on"] == "2018-06-05" and units[1]["done"] is True


def test_facts_of_a_projection_row() -> None:
    row = {
        "state": "IN_PROGRESS",
        "start_date": date(2018, 6, 1),
        "deadline": date(2018, 6, 29),
        "reporting_cycle": "DAILY",
        "plan_nodes": [{"date": "2018-06-15", "percent": 60}],
        "units": [{"unit_id": "a", "percent": 20, "last_gain_on": "2018-06-05", "done": False}],
    }
    facts = facts_of(row)
    assert facts.plan_nodes == ((date(2018, 6, 15), 60),)
    assert facts.units[0].last_gain_on == date(2018, 6, 5) and facts.units[0].percent == 20
