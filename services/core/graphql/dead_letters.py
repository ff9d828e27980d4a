"""Dead letters in GraphQL, one definition every subgraph includes (ADR 0015).

Each subgraph lists and resolves its own dead letters, so the root fields carry the
service's name (``alertsDeadLetters``, ``alertsDeadLetterReplay``, ...) and the value
types are shareable: the three subgraphs compose into one supergraph. Office only.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from services.core import dead_letters as letters
from services.core.auth import Role
from services.core.graphql.context import AppInfo
from services.core.graphql.errors import NotFoundError, ValidationError, run_mutation


@strawberry.federation.type(
    shareable=True,
    description="死信: an event a consumer could not apply, kept with its error and envelope.",
)
class DeadLetter:
    id: strawberry.ID
    service: str
    consumer: str
    subject: str
    stream_seq: int | None
    event_id: str | None
    error: str
    failures: int = strawberry.field(description="failures of the event itself (not outages)")
    payload: str = strawberry.field(description="the message exactly as received")
    envelope: JSON | None = strawberry.field(description="the payload parsed, when it is JSON")
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None = strawberry.field(description="REPLAYED or DISCARDED")
    resolved_by: str | None

    @classmethod
    def of(cls, service_name: str, r: letters.DeadLetterRow) -> DeadLetter:
        try:
            envelope: Any = json.loads(r.payload)
        except ValueError:
            envelope = None
        return cls(
            id=strawberry.ID(str(r.id)),
            service=service_name,
            consumer=r.consumer,
            subject=r.subject,
            stream_seq=r.stream_seq,
            event_id=r.event_id,
            error=r.error,
            failures=r.deliveries,
            payload=r.payload,
            envelope=envelope,
            created_at=r.created_at,
            resolved_at=r.resolved_at,
            resolution=r.resolution,
            resolved_by=r.resolved_by,
        )


@strawberry.federation.type(shareable=True, description="What a replay or discard did.")
class DeadLetterResolveSuccess:
    replayed: int
    discarded: int
    failed: list[DeadLetter] = strawberry.field(description="letters whose replay failed again")


DeadLetterResolveResult = Annotated[
    DeadLetterResolveSuccess | ValidationError | NotFoundError,
    strawberry.union("DeadLetterResolveResult"),
]


def _actor(info: AppInfo) -> str:
    return info.context.require(Role.SUPERVISION_OFFICE).subject


def dead_letter_graphql(service_name: str) -> tuple[type, type]:
    """Query and Mutation mixins for one service's schema.py."""

    def success(result: letters.Resolution) -> DeadLetterResolveSuccess:
        return DeadLetterResolveSuccess(
            replayed=result.replayed,
            discarded=result.discarded,
            failed=[DeadLetter.of(service_name, r) for r in result.failed],
        )

    async def dead_letters(
        info: AppInfo, first: int = 50, include_resolved: bool = False
    ) -> list[DeadLetter]:
        info.context.require(Role.SUPERVISION_OFFICE)
        async with info.context.pool.acquire() as conn:
            rows = await letters.list_dead_letters(conn, min(max(first, 1), 500), include_resolved)
        return [DeadLetter.of(service_name, r) for r in rows]

    async def replay(
        info: AppInfo, id: strawberry.ID | None = None, all: bool = False
    ) -> DeadLetterResolveResult:
        actor = _actor(info)
        state = info.context.app_state
        return await run_mutation(
            lambda: letters.replay(
                info.context.pool,
                state.consumers,
                id,
                all,
                actor,
            ),
            success,
        )

    async def discard(
        info: AppInfo, id: strawberry.ID | None = None, all: bool = False
    ) -> DeadLetterResolveResult:
        actor = _actor(info)
        return await run_mutation(
            lambda: letters.discard(
                info.context.pool,
                id,
                all,
                actor,
            ),
            success,
        )

    title = service_name.capitalize()
    query = strawberry.type(
        type(
            f"{title}DeadLetterQuery",
            (),
            {
                f"{service_name}_dead_letters": strawberry.field(
                    resolver=dead_letters,
                    description=f"{service_name} 服务的死信 (open ones unless includeResolved).",
                )
            },
        )
    )
    mutation = strawberry.type(
        type(
            f"{title}DeadLetterMutation",
            (),
            {
                f"{service_name}_dead_letter_replay": strawberry.mutation(
                    resolver=replay,
                    description="重放死信: re-apply one (id) or all open dead letters, once.",
                ),
                f"{service_name}_dead_letter_discard": strawberry.mutation(
                    resolver=discard, description="丢弃死信: mark one (id) or all as discarded."
                ),
            },
        )
    )
    return query, mutation


def dead_letter_id_formats(service_name: str) -> dict[str, str]:
    """Dead letters are numbered by a serial: their ``id`` arguments are integers."""
    return {
        f"Mutation.{service_name}DeadLetter{verb}(id:)": "integer" for verb in ("Replay", "Discard")
    }
