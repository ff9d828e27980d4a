"""Consumer handlers for reminders: people and units from tasks, colour changes from alerts."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.alerts.reminders import notices, service, store
from services.contracts import alerts as alerts_events
from services.contracts import tasks as tasks_events
from services.core.consumer import Handler, Subscription, is_newer
from services.core.events import Envelope, EventContract


async def on_person_upserted(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.PersonUpserted)
    if await is_newer(conn, env):
        await store.upsert_person(conn, event.model_dump(mode="json"), env.aggregate_version)
        await store.readdress_person(conn, UUID(event.id))


async def on_unit_upserted(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.UnitUpserted)
    if await is_newer(conn, env):
        await store.upsert_unit(conn, event.model_dump(mode="json"), env.aggregate_version)
        await store.readdress_unit_robot(conn, UUID(event.id))


async def on_level_changed(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, alerts_events.LevelChanged)
    await service.on_level_changed(conn, event, env.aggregate_version)


async def on_item_changed(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.ItemEvent)
    await service.on_item_changed(conn, str(env.id), event)


CHANGE_EVENTS = (
    tasks_events.ItemUpdated,
    tasks_events.ItemTransferred,
    tasks_events.ItemDeadlineReset,
)


def people_subscription() -> Subscription:
    return Subscription(
        stream="TASKS",
        name="alerts-people",
        handlers={
            tasks_events.PersonUpserted.type: on_person_upserted,
            tasks_events.UnitUpserted.type: on_unit_upserted,
            tasks_events.NoticeAcknowledged.type: notices.on_notice_acknowledged,
        },
        contracts=tasks_events.CONTRACTS,
    )


def subscriptions() -> list[Subscription]:
    """Consumed by reminders: who to notify (tasks) and colour changes (alerts)."""
    return [
        people_subscription(),
        Subscription(
            stream="ALERTS",
            name="alerts-reminders",
            handlers={alerts_events.LevelChanged.type: on_level_changed},
            contracts=alerts_events.CONTRACTS,
        ),
    ]


def item_change_handlers() -> dict[str, Handler]:
    """Handlers for the office's moves on an item. They run in the colour engine's
    consumer of the same events, after it (services.alerts.app): a service records each
    event once in processed_events, so two consumers of one subject would skip it."""
    handlers: dict[str, Handler] = {c.type: on_item_changed for c in CHANGE_EVENTS}
    handlers[tasks_events.ItemNoticeIssued.type] = notices.on_notice_issued
    return handlers
