"""Consumer handlers: tasks item events update the projection and the colour."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg

from services.alerts import store
from services.alerts.domain.colour import evaluate
from services.contracts import tasks as tasks_events
from services.core.consumer import Subscription, is_newer
from services.core.events import Envelope, EventContract

TZ = ZoneInfo("Asia/Shanghai")


async def on_item_event(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, tasks_events.ItemEvent)
    if not await is_newer(conn, env):
        return
    now = datetime.now(UTC)
    item = event.item
    result = evaluate(item.state, item.deadline, now.astimezone(TZ).date())
    await store.upsert_item(
        conn,
        item.model_dump(mode="json"),
        env.aggregate_version,
        result.level.value if result.level else None,
        result.reason,
        now,
    )


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            stream="TASKS",
            handlers={c.type: on_item_event for c in tasks_events.ITEM_EVENTS},
            contracts=tasks_events.CONTRACTS,
        )
    ]
