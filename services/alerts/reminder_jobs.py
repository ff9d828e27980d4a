"""Time-driven reminder work: plan what is due today, deliver what is pending."""

from __future__ import annotations

from typing import Any

from services.alerts import service_reminders
from services.alerts.delivery import DELIVERY_JOB, delivery_for
from services.core.jobs import Job
from services.core.settings import Settings

SCAN_JOB = "reminder-scan"


def reminder_jobs(settings: Settings) -> list[Job]:
    async def run_scan(state: Any) -> None:
        await service_reminders.scan(state.pool, settings, service_reminders.now())

    async def run_delivery(state: Any) -> None:
        await delivery_for(state, settings).run_until_idle(state.pool)

    return [
        Job(SCAN_JOB, lambda: settings.reminder_scan_seconds, run_scan),
        Job(DELIVERY_JOB, lambda: settings.delivery_interval_seconds, run_delivery),
    ]
