"""Consumer handlers: tasks item events update the projection and re-colour the item."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.alerts.colour import service, store
from services.contracts import tasks as tasks_events
from services.core import calendar_store, clock
from services.core.consumer import Handler, Subscription, is_newer
from services.core.events import Envelope, EventContract


async def on_item_event(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.ItemEvent)
    if not await is_newer(conn, env):
        return
    facts = await service.project_item(conn, event.item, env.aggregate_version, env.occurred_at)
    await service.reevaluate(conn, UUID(event.item.id), clock.now(), facts)


async def recolour_all(conn: asyncpg.Connection, year: int) -> None:
    """The office changed the calendar: every open item is due for the next sweep."""
    await store.mark_due(conn, None)


def subscriptions() -> list[Subscription]:
    handlers: dict[str, Handler] = {c.type: on_item_event for c in tasks_events.ITEM_EVENTS}
    handlers[tasks_events.CalendarChanged.type] = calendar_store.changed_handler(recolour_all)
    return [Subscription(stream="TASKS", handlers=handlers, contracts=tasks_events.CONTRACTS)]
