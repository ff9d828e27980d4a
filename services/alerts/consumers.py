"""Features riding along on alerts' consumers.

The inbox (processed_events) has one row per event and service, so a second durable
consumer of the same events would find them already processed. A feature that needs
events another feature consumes chains its handler after the existing one (same
transaction); the types nobody consumes yet get a subscription of the feature's own.
"""

from __future__ import annotations

from collections import defaultdict

import asyncpg

from services.core.consumer import Handler, Subscription
from services.core.events import Envelope, EventContract, stream_for


def _chain(first: Handler, then: Handler) -> Handler:
    async def both(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
        await first(conn, env, event)
        await then(conn, env, event)

    return both


def ride_along(
    subs: list[Subscription],
    handlers: dict[str, Handler],
    contracts: dict[str, type[EventContract]],
    name: str,
) -> list[Subscription]:
    taken: set[str] = set()
    for sub in subs:
        for type_, handler in list(sub.handlers.items()):
            if type_ in handlers:
                sub.handlers[type_] = _chain(handler, handlers[type_])
                taken.add(type_)
    rest: dict[str, dict[str, Handler]] = defaultdict(dict)
    for type_ in sorted(set(handlers) - taken):
        rest[stream_for(type_)][type_] = handlers[type_]
    return [
        *subs,
        *(
            Subscription(
                stream=stream,
                name=f"{name}-{stream.lower()}",
                handlers=own,
                contracts=contracts,
            )
            for stream, own in sorted(rest.items())
        ),
    ]
