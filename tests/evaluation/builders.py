"""Builders of tasks/alerts envelopes for evaluation tests (the producers are other services)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.contracts import alerts as alerts_events
from services.contracts import tasks as tasks_events
from services.core.events import Envelope, EventContract


def new_id() -> str:
    return str(uuid.uuid4())


def unit_event(
    unit_id: str, name: str, category: str = "街道", version: int = 1
) -> tuple[Envelope, EventContract]:
    ev = tasks_events.UnitUpserted(
        id=unit_id, code=name[:4], name=name, kind="STREET", category=category
    )
    return ev.envelope(unit_id, version), ev


def person_event(
    person_id: str,
    name: str,
    unit_id: str | None,
    rank: str = "正科",
    roles: list[str] | None = None,
) -> tuple[Envelope, EventContract]:
    ev = tasks_events.PersonUpserted(
        id=person_id, name=name, unit_id=unit_id, rank=rank, roles=roles or ["CADRE"]
    )
    return ev.envelope(person_id, 1), ev


@dataclass
class ItemHistory:
    """An item and the events it has produced so far (versions count up)."""

    id: str
    title: str
    lead_unit_id: str
    owner_ids: list[str]
    leader_id: str | None = None
    importance: int = 1
    difficulty: float = 1.0
    deadline: date = date(2018, 6, 30)
    original_deadline: date = date(2018, 6, 30)
    state: str = "IN_PROGRESS"
    completed_at: datetime | None = None
    co_unit_ids: list[str] = field(default_factory=list)
    version: int = 0
    alert_version: int = 0
    level: str | None = None

    def snapshot(self) -> tasks_events.ItemSnapshot:
        assignments = [
            tasks_events.AssignmentSnapshot(
                unit_id=u,
                role="LEAD" if u == self.lead_unit_id else "CO",
                state="COMPLETED" if self.completed_at else "IN_PROGRESS",
                completed_at=self.completed_at,
            )
            for u in [self.lead_unit_id, *self.co_unit_ids]
        ]
        return tasks_events.ItemSnapshot(
            id=self.id,
            code=f"DB-2018-{self.id[:4]}",
            title=self.title,
            source="KEY_WORK",
            importance=self.importance,
            difficulty=self.difficulty,
            start_date=date(2018, 1, 2),
            deadline=self.deadline,
            original_deadline=self.original_deadline,
            state=self.state,
            lead_unit_id=self.lead_unit_id,
            co_unit_ids=self.co_unit_ids,
            responsible_leader_id=self.leader_id,
            owner_ids=self.owner_ids,
            assignments=assignments,
            created_at=datetime(2018, 1, 2, 1, tzinfo=UTC),
            completed_at=self.completed_at,
        )

    def event(
        self, contract: type[tasks_events.ItemEvent], at: datetime, **detail: Any
    ) -> tuple[Envelope, EventContract]:
        self.version += 1
        ev = contract(item=self.snapshot(), detail=detail)
        return ev.envelope(self.id, self.version, occurred_at=at), ev

    def complete(self, at: datetime) -> tuple[Envelope, EventContract]:
        self.state = "COMPLETED"
        self.completed_at = at
        return self.event(tasks_events.ItemCompleted, at)

    def colour(self, level: str | None, at: datetime) -> tuple[Envelope, EventContract]:
        self.alert_version += 1
        ev = alerts_events.LevelChanged(
            item_id=self.id,
            unit_ids=[self.lead_unit_id, *self.co_unit_ids],
            previous_level=self.level,
            level=level,
            changed_at=at,
            owner_ids=self.owner_ids,
            responsible_leader_id=self.leader_id,
            title=self.title,
        )
        self.level = level
        return ev.envelope(self.id, self.alert_version, occurred_at=at), ev


def generated_history(
    seed: int, units: int, people: int, items: int
) -> tuple[
    list[tuple[Envelope, EventContract]], list[tuple[Envelope, EventContract]], list[str], list[str]
]:
    """A plausible district: (tasks events, alerts events, unit ids, person ids)."""
    rnd = random.Random(seed)
    unit_ids = [new_id() for _ in range(units)]
    person_ids = [new_id() for _ in range(people)]
    tasks: list[tuple[Envelope, EventContract]] = []
    alerts: list[tuple[Envelope, EventContract]] = []
    cats = ["街道", "乡镇", "区直部门"]
    for i, u in enumerate(unit_ids):
        tasks.append(unit_event(u, f"单位{i}", cats[i % 3]))
    for i, p in enumerate(person_ids):
        tasks.append(person_event(p, f"干部{i}", unit_ids[i % units], rank=("正科", "副科")[i % 2]))
    base = datetime(2018, 1, 2, 2, tzinfo=UTC)
    for i in range(items):
        start = base + timedelta(days=rnd.randrange(0, 300))
        deadline = (start + timedelta(days=rnd.randrange(20, 120))).date()
        lead = rnd.choice(unit_ids)
        it = ItemHistory(
            id=new_id(),
            title=f"督办事项{i}",
            lead_unit_id=lead,
            owner_ids=rnd.sample(person_ids, rnd.choice((1, 1, 2))),
            leader_id=rnd.choice(person_ids) if rnd.random() < 0.7 else None,
            importance=rnd.randint(1, 3),
            difficulty=rnd.choice((0.8, 1.0, 1.2, 1.5)),
            deadline=deadline,
            original_deadline=deadline,
            co_unit_ids=[u for u in rnd.sample(unit_ids, 2) if u != lead][: rnd.choice((0, 0, 1))],
        )
        tasks.append(it.event(tasks_events.ItemCreated, start))
        t = start
        for _ in range(rnd.randrange(1, 4)):
            t += timedelta(days=rnd.randrange(3, 20))
            tasks.append(it.event(tasks_events.ItemProgressReported, t))
            if rnd.random() < 0.3:
                tasks.append(
                    it.event(
                        tasks_events.ItemReportVerified,
                        t,
                        result="DISPUTED" if rnd.random() < 0.3 else "CONFIRMED",
                    )
                )
            if rnd.random() < 0.4:
                alerts.append(it.colour(rnd.choice(("YELLOW", "BLUE", "RED", "GREEN")), t))
        if rnd.random() < 0.8:
            done = datetime.combine(deadline, datetime.min.time(), UTC) + timedelta(
                days=rnd.randrange(-15, 20), hours=3
            )
            tasks.append(it.complete(max(done, t + timedelta(hours=1))))
            alerts.append(it.colour(None, max(done, t + timedelta(hours=1))))
    return tasks, alerts, unit_ids, person_ids
