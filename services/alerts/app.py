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
from services.core.consumer import Handler, Subscription
from services.core.events import Envelope, EventContract
from services.core.jobs import Job
from services.core.settings import Settings


def _then(first: Handler, second: Handler) -> Handler:
    async def both(conn: Any, env: Envelope, event: EventContract) -> None:
        await first(conn, env, event)
        await second(conn, env, event)

    return both


def subscriptions() -> list[Subscription]:
    """The colour engine's item consumer also tells the people an office move affects
    (修改 / 转办 / 调整时限), in the same transaction, after re-colouring."""
    colour = colour_events.subscriptions()
    for sub in colour:
        for subject, handler in reminder_events.item_change_handlers().items():
            if subject in sub.handlers:
                sub.handlers[subject] = _then(sub.handlers[subject], handler)
    subs = [*colour, *reminder_events.subscriptions()]
    # the public event feed and WeCom cards ride on the same consumers (one inbox per service)
    return integration_events.attach(card_events.attach(subs))


def all_jobs(settings: Settings) -> list[Job]:
    return [
        *colour_jobs.jobs(settings),
        *reminder_jobs.jobs(settings),
        *delivery_jobs.jobs(settings),
        *integration_jobs.jobs(settings),
        *card_jobs.jobs(settings),
    ]


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
    on_stop=on_stop,
)
