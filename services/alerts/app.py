"""The alerts service: four-colour warning and reminders."""

from __future__ import annotations

from typing import Any

from services.alerts.events import subscriptions
from services.alerts.graphql.schema import build_schema
from services.alerts.jobs import jobs
from services.alerts.reminder_jobs import reminder_jobs
from services.core.app_factory import ServiceSpec
from services.core.clock import set_clock, simulated_clock
from services.core.jobs import Job
from services.core.settings import Settings


def all_jobs(settings: Settings) -> list[Job]:
    return [*jobs(settings), *reminder_jobs(settings)]


async def on_start(state: Any) -> None:
    if state.settings.clock_at:
        set_clock(simulated_clock(state.settings.clock_at))


SPEC = ServiceSpec(
    name="alerts",
    schema=build_schema,
    subscriptions=subscriptions,
    jobs=all_jobs,
    on_start=on_start,
)
