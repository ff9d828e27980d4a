"""The envelope and contract registry (pure)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.contracts import alerts, evaluation, tasks
from services.core.events import STREAMS, Envelope, UnknownEventType, decode, stream_for


def _snapshot() -> tasks.ItemSnapshot:
    return tasks.ItemSnapshot(
        id=str(uuid.uuid4()),
        code="DB-2018-0001",
        title="老旧小区改造",
        source="KEY_WORK",
        start_date=date(2018, 1, 2),
        deadline=date(2018, 6, 30),
        original_deadline=date(2018, 6, 30),
        state="ASSIGNED",
        lead_unit_id=str(uuid.uuid4()),
    )


def test_envelope_round_trips_through_json_with_chinese_text() -> None:
    event = tasks.ItemCreated(item=_snapshot(), actor_id="office")
    env = event.envelope(event.item.id, 1)
    back = Envelope.from_json(env.to_json())
    assert back == env
    assert back.type == "tasks.item.created" and back.producer == "tasks"
    assert back.aggregate_version == 1
    decoded = decode(back, tasks.CONTRACTS)
    assert isinstance(decoded, tasks.ItemCreated)
    assert decoded.item.title == "老旧小区改造"


def test_unknown_event_type_is_refused() -> None:
    env = Envelope(
        type="tasks.nothing.happened",
        version=1,
        producer="tasks",
        aggregate_id="x",
        aggregate_version=1,
        data={},
    )
    with pytest.raises(UnknownEventType):
        decode(env, tasks.CONTRACTS)


@pytest.mark.parametrize("contracts", [tasks.CONTRACTS, alerts.CONTRACTS, evaluation.CONTRACTS])
def test_every_contract_subject_belongs_to_its_producers_stream(contracts: dict) -> None:
    for subject in contracts:
        stream = stream_for(subject)
        assert stream in STREAMS
        assert STREAMS[stream].removesuffix(">") == subject.split(".")[0] + "."
        assert len(subject.split(".")) == 3


def test_item_events_cover_every_state_change_named_in_the_design() -> None:
    verbs = {c.type.rsplit(".", 1)[1] for c in tasks.ITEM_EVENTS}
    assert verbs == {
        "created",
        "assigned",
        "signed",
        "returned",
        "progress_reported",
        "report_verified",
        "completion_requested",
        "completed",
        "sent_back",
        "extension_requested",
        "extension_decided",
        "suspended",
        "resumed",
        "cancelled",
        "deadline_changed",
        "notice_issued",
        "instruction_added",
        "chased",
        "updated",
        "transferred",
        "deadline_reset",
        "instruction_confirmed",
    }
