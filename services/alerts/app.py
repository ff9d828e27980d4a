"""The alerts service: four-colour warning and reminders."""

from __future__ import annotations

from typing import Any

from services.alerts.cards import events as card_events
from services.alerts.cards import jobs as card_jobs
from services.alerts.colour import events as colour_events
from services.alerts.colour import jobs as colour_jobs
from services.alerts.delivery import jobs as delivery_jobs
from services.alerts.integrations import events as integration_events
from services.alerts.integrations import jobs as integration_jobs
from services.alerts.reminders import events as reminder_events
from services.alerts.reminders import jobs as reminder_jobs
from services.alerts.schema import build_schema
from services.core.app_factory import ServiceSpec
from services.core.clock import set_clock, simulated_clock
from services.core.consumer import Subscription
from services.core.jobs import Job
from services.core.settings import Settings


def subscriptions() -> list[Subscription]:
    subs = [*colour_events.subscriptions(), *reminder_events.subscriptions()]
    return integration_events.attach(card_events.attach(subs))


def all_jobs(settings: Settings) -> list[Job]:
    return [
        *colour_jobs.jobs(settings),
        *reminder_jobs.jobs(settings),
        *delivery_jobs.jobs(settings),
        *integration_jobs.jobs(settings),
        *card_jobs.jobs(settings),
    ]


async def on_start(state: Any) -> None:
    if state.settings.clock_at:
        set_clock(simulated_clock(state.settings.clock_at))


async def on_stop(state: Any) -> None:
    for name in ("webhooks", "cards"):
        owner = getattr(state, name, None)
        if owner is not None:
            await owner.aclose()


SPEC = ServiceSpec(
    name="alerts",
    schema=build_schema,
    subscriptions=subscriptions,
    jobs=all_jobs,
    on_start=on_start,
    on_stop=on_stop,
)
