"""Consumer handlers: tasks item events update the projection and re-colour the item."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.alerts.colour import service
from services.contracts import tasks as tasks_events
from services.core import clock
from services.core.consumer import Subscription, is_newer
from services.core.events import Envelope, EventContract


async def on_item_event(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.ItemEvent)
    if not await is_newer(conn, env):
        return
    await service.project_item(conn, event.item, env.aggregate_version, env.occurred_at)
    await service.reevaluate(conn, UUID(event.item.id), clock.now())


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            stream="TASKS",
            handlers={c.type: on_item_event for c in tasks_events.ITEM_EVENTS},
            contracts=tasks_events.CONTRACTS,
        ),
    ]
