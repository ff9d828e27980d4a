"""Time-driven reminder work: plan what is due today."""

from __future__ import annotations

from typing import Any

from services.alerts.reminders import notices, service
from services.core import clock
from services.core.jobs import Job
from services.core.settings import Settings

SCAN_JOB = "reminder-scan"


def jobs(settings: Settings) -> list[Job]:
    async def run_scan(state: Any) -> None:
        at = clock.now()
        await service.scan(state.pool, settings, at)
        await notices.scan_notices(state.pool, at)

    return [Job(SCAN_JOB, lambda: settings.reminder_scan_seconds, run_scan)]
