"""Every public event reaches the feed: the integrations handler rides along with the
consumers alerts already has (services/alerts/consumers.py)."""

from __future__ import annotations

import asyncpg

from services.alerts.consumers import ride_along
from services.alerts.integrations import service
from services.alerts.integrations.domain import PUBLIC
from services.contracts import alerts as alerts_events
from services.contracts import evaluation as evaluation_events
from services.contracts import tasks as tasks_events
from services.core.consumer import Subscription
from services.core.events import Envelope, EventContract

CONTRACTS = {
    **tasks_events.CONTRACTS,
    **alerts_events.CONTRACTS,
    **evaluation_events.CONTRACTS,
}


async def on_public_event(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    await service.publish(conn, env, event)


def attach(subs: list[Subscription]) -> list[Subscription]:
    handlers = {p.internal.type: on_public_event for p in PUBLIC}
    return ride_along(subs, dict(handlers), CONTRACTS, "alerts-integrations")
