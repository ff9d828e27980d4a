"""Builders for the colour engine's tests: tasks snapshots and events on the bus."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from nats.js import JetStreamContext

from services.contracts import tasks as t

TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> datetime:
    """A moment on a Shanghai date."""
    return datetime.combine(date.fromisoformat(day), time(hour), TZ)


def make_snapshot(**overrides: Any) -> t.ItemSnapshot:
    unit = overrides.pop("lead_unit_id", None) or str(uuid.uuid4())
    percent = overrides.pop("percent", 0)
    reported = overrides.pop("reported_at", None)
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "code": f"DB-2018-{uuid.uuid4().int % 10000:04d}",
        "title": "背街小巷环境整治",
        "source": "KEY_WORK",
        "start_date": date(2018, 6, 1),
        "deadline": date(2018, 6, 29),
        "original_deadline": date(2018, 6, 29),
        "reporting_cycle": "WEEKLY",
        "state": "IN_PROGRESS",
        "lead_unit_id": unit,
        "owner_ids": [str(uuid.uuid4())],
        "responsible_leader_id": str(uuid.uuid4()),
        "plan_nodes": [t.PlanNode(date=date(2018, 6, 15), percent=60)],
        "assignments": [
            t.AssignmentSnapshot(
                unit_id=unit, state="SIGNED", percent=percent, last_report_at=reported
            )
        ],
    }
    fields.update(overrides)
    if "deadline" in overrides and "original_deadline" not in overrides:
        fields["original_deadline"] = fields["deadline"]
    return t.ItemSnapshot(**fields)


def with_progress(item: t.ItemSnapshot, percent: int, reported_at: datetime) -> t.ItemSnapshot:
    assignments = [
        a.model_copy(update={"percent": percent, "last_report_at": reported_at})
        for a in item.assignments
    ]
    return item.model_copy(update={"assignments": assignments})


async def publish(
    js: JetStreamContext,
    contract: type[t.ItemEvent],
    item: t.ItemSnapshot,
    version: int,
    occurred_at: datetime | None = None,
) -> None:
    env = contract(item=item).envelope(item.id, version, occurred_at)
    await js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})
