"""Every public event reaches the feed: the integrations handler rides along with the
consumers alerts already has (one inbox row per event and service, so a second durable
on the same events would see them as processed), and a consumer of its own takes the
public types no other alerts feature consumes.
"""

from __future__ import annotations

from collections import defaultdict

import asyncpg

from services.alerts.integrations import service
from services.alerts.integrations.domain import PUBLIC
from services.contracts import alerts as alerts_events
from services.contracts import evaluation as evaluation_events
from services.contracts import tasks as tasks_events
from services.core.consumer import Handler, Subscription
from services.core.events import Envelope, EventContract, stream_for

CONTRACTS = {
    **tasks_events.CONTRACTS,
    **alerts_events.CONTRACTS,
    **evaluation_events.CONTRACTS,
}


async def on_public_event(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    await service.publish(conn, env, event)


def _chain(first: Handler) -> Handler:
    async def both(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        await first(conn, env, event)
        await on_public_event(conn, env, event)

    return both


def attach(subs: list[Subscription]) -> list[Subscription]:
    """The subscriptions with the feed handler chained after any handler of a public
    type, plus one subscription per stream for public types nobody else consumes."""
    public = {p.internal.type for p in PUBLIC}
    taken: set[str] = set()
    for sub in subs:
        for type_, handler in list(sub.handlers.items()):
            if type_ in public:
                sub.handlers[type_] = _chain(handler)
                taken.add(type_)
    rest: dict[str, dict[str, Handler]] = defaultdict(dict)
    for type_ in sorted(public - taken):
        rest[stream_for(type_)][type_] = on_public_event
    return [
        *subs,
        *(
            Subscription(
                stream=stream,
                name=f"alerts-integrations-{stream.lower()}",
                handlers=handlers,
                contracts=CONTRACTS,
            )
            for stream, handlers in sorted(rest.items())
        ),
    ]
