"""The alerts service: four-colour warning and reminders."""

from __future__ import annotations

from services.alerts.events import subscriptions
from services.alerts.graphql.schema import build_schema
from services.alerts.jobs import jobs
from services.alerts.reminder_jobs import reminder_jobs
from services.core.app_factory import ServiceSpec
from services.core.jobs import Job
from services.core.settings import Settings


def all_jobs(settings: Settings) -> list[Job]:
    return [*jobs(settings), *reminder_jobs(settings)]


SPEC = ServiceSpec(name="alerts", schema=build_schema, subscriptions=subscriptions, jobs=all_jobs)
