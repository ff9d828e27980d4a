"""The alerts service: four-colour warning and reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.alerts import service
from services.alerts.events import subscriptions
from services.alerts.graphql.schema import build_schema
from services.alerts.jobs import jobs
from services.alerts.reminder_jobs import reminder_jobs
from services.core.app_factory import ServiceSpec
from services.core.jobs import Job
from services.core.settings import Settings


def all_jobs(settings: Settings) -> list[Job]:
    return [*jobs(settings), *reminder_jobs(settings)]


def simulated_clock(clock_at: str) -> Any:
    """A clock that reads ``clock_at`` now and runs on in real time (demo districts)."""
    start = datetime.fromisoformat(clock_at)
    if start.tzinfo is None:
        start = start.replace(tzinfo=service.TZ)
    offset = start - service.system_clock()
    return lambda: service.system_clock() + offset


async def on_start(state: Any) -> None:
    if state.settings.clock_at:
        service.set_clock(simulated_clock(state.settings.clock_at))


SPEC = ServiceSpec(
    name="alerts",
    schema=build_schema,
    subscriptions=subscriptions,
    jobs=all_jobs,
    on_start=on_start,
)
