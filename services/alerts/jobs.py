"""Time-driven work of the colour engine."""

from __future__ import annotations

from typing import Any

from services.alerts.service_sweep import SWEEP_JOB, sweep
from services.core import clock
from services.core.jobs import Job
from services.core.settings import Settings


def jobs(settings: Settings) -> list[Job]:
    async def run_sweep(state: Any) -> None:
        await sweep(state.pool, clock.now())

    return [Job(SWEEP_JOB, lambda: settings.sweep_interval_seconds, run_sweep)]
