"""Time-driven integrations work: the webhook dispatcher."""

from __future__ import annotations

from typing import Any

from services.alerts.integrations.dispatcher import DISPATCH_JOB, Dispatcher
from services.core.jobs import Job
from services.core.settings import Settings


def dispatcher_for(state: Any, settings: Settings) -> Dispatcher:
    """The app's one Dispatcher (its HTTP client lives as long as the process)."""
    found: Dispatcher | None = getattr(state, "webhooks", None)
    if found is None:
        found = Dispatcher(settings)
        state.webhooks = found
    return found


def jobs(settings: Settings) -> list[Job]:
    async def dispatch(state: Any) -> None:
        await dispatcher_for(state, settings).run_until_idle(state.pool)

    return [Job(DISPATCH_JOB, lambda: settings.webhook_dispatch_interval_seconds, dispatch)]
