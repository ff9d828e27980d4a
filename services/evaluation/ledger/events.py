"""Consumer handlers: tasks and alerts events become the projection and ledger entries."""

from __future__ import annotations

from services.contracts import alerts as alerts_events
from services.contracts import tasks as tasks_events
from services.core import calendar_store
from services.core.consumer import Handler, Subscription
from services.evaluation.ledger import projection


def task_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {
        c.type: projection.apply_item_event for c in tasks_events.ITEM_EVENTS
    }
    handlers[tasks_events.UnitUpserted.type] = projection.apply_unit_upserted
    handlers[tasks_events.PersonUpserted.type] = projection.apply_person_upserted
    handlers[tasks_events.CalendarChanged.type] = calendar_store.changed_handler()
    return handlers


def alert_handlers() -> dict[str, Handler]:
    return {alerts_events.LevelChanged.type: projection.apply_level_changed}


def subscriptions() -> list[Subscription]:
    return [
        Subscription(stream="TASKS", handlers=task_handlers(), contracts=tasks_events.CONTRACTS),
        Subscription(stream="ALERTS", handlers=alert_handlers(), contracts=alerts_events.CONTRACTS),
    ]
