"""Consumer handlers: tasks events become ledger entries."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.contracts import tasks as tasks_events
from services.core.consumer import Subscription
from services.core.events import Envelope, EventContract
from services.evaluation import store
from services.evaluation.domain.scoring import score_item_taken_on


async def on_item_created(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.ItemCreated)
    item = event.item
    entry = score_item_taken_on(item.title, item.importance, item.difficulty)
    for owner in item.owner_ids:
        await store.insert_entry(
            conn,
            UUID(owner),
            UUID(item.id),
            env.id,
            entry.rule,
            entry.points,
            entry.explanation,
            env.occurred_at,
        )


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            stream="TASKS",
            handlers={tasks_events.ItemCreated.type: on_item_created},
            contracts=tasks_events.CONTRACTS,
        )
    ]
