"""Time-driven card work: send planned cards and update pressed ones."""

from __future__ import annotations

from typing import Any

from services.alerts.cards.service import CARDS_JOB, CardSender
from services.core.jobs import Job
from services.core.settings import Settings


def sender_for(state: Any, settings: Settings) -> CardSender:
    found: CardSender | None = getattr(state, "cards", None)
    if found is None:
        found = CardSender(settings)
        state.cards = found
    return found


def jobs(settings: Settings) -> list[Job]:
    async def run(state: Any) -> None:
        sender = sender_for(state, settings)
        while await sender.run_once(state.pool):
            pass

    return [Job(CARDS_JOB, lambda: settings.delivery_interval_seconds, run)]
