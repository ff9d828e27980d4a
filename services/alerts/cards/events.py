"""Consumer handlers of WeCom cards, riding along on alerts' tasks consumers."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.alerts.cards import service
from services.alerts.consumers import ride_along
from services.contracts import tasks as tasks_events
from services.core.consumer import Handler, Subscription
from services.core.events import Envelope, EventContract


def handlers() -> dict[str, Handler]:
    async def on_assigned(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        assert isinstance(event, tasks_events.ItemEvent)
        await service.plan_assignment_cards(conn, event, env.aggregate_version)

    async def on_notice(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        assert isinstance(event, tasks_events.ItemEvent)
        await service.plan_notice_cards(conn, event)

    async def on_acted(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        assert isinstance(event, tasks_events.WeComCardActed)
        await service.on_card_acted(conn, event)

    found: dict[str, Any] = {
        tasks_events.ItemCreated.type: on_assigned,
        tasks_events.ItemAssigned.type: on_assigned,
        tasks_events.ItemNoticeIssued.type: on_notice,
        tasks_events.WeComCardActed.type: on_acted,
    }
    return found


def attach(subs: list[Subscription]) -> list[Subscription]:
    return ride_along(subs, handlers(), tasks_events.CONTRACTS, "alerts-cards")
