"""Time-driven delivery work: deliver what is pending."""

from __future__ import annotations

from typing import Any

from services.alerts.delivery.service import DELIVERY_JOB, Delivery
from services.core.jobs import Job
from services.core.settings import Settings


def delivery_for(state: Any, settings: Settings) -> Delivery:
    """The app's one Delivery (token cache and rate windows live as long as the process)."""
    found: Delivery | None = getattr(state, "delivery", None)
    if found is None:
        found = Delivery(settings)
        state.delivery = found
    return found


def jobs(settings: Settings) -> list[Job]:
    async def run_delivery(state: Any) -> None:
        await delivery_for(state, settings).run_until_idle(state.pool)

    return [Job(DELIVERY_JOB, lambda: settings.delivery_interval_seconds, run_delivery)]
