"""Integrations over GraphQL: clients (office), webhook subscriptions, the cursor pull,
replay and the delivery log. Secrets are returned once, when created or rotated."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from services.alerts.integrations import domain, service
from services.core.auth import Role
from services.core.graphql import (
    AppInfo,
    ConflictError,
    NotFoundError,
    ValidationError,
    run_mutation,
)


@strawberry.type(description="对接系统: another department's system (a service account).")
class IntegrationClient:
    id: strawberry.ID
    name: str
    unit_ids: list[str] = strawberry.field(description="Units it may see (empty with allUnits)")
    all_units: bool
    event_types: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> IntegrationClient:
        return cls(
            id=strawberry.ID(str(r["id"])),
            name=r["name"],
            unit_ids=list(r["unit_ids"]),
            all_units=r["all_units"],
            event_types=list(r["event_types"]),
            active=r["active"],
            created_at=r["created_at"],
        )


@strawberry.type(description="A webhook endpoint and what it receives.")
class WebhookSubscription:
    id: strawberry.ID
    client_id: strawberry.ID
    url: str
    event_types: list[str]
    unit_ids: list[str] | None = strawberry.field(description="Unit filter inside the scope")
    ordered: bool = strawberry.field(description="One event at a time per subject")
    state: str = strawberry.field(description="ACTIVE | DISABLED")
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> WebhookSubscription:
        return cls(
            id=strawberry.ID(str(r["id"])),
            client_id=strawberry.ID(str(r["client_id"])),
            url=r["url"],
            event_types=list(r["event_types"]),
            unit_ids=list(r["unit_ids"]) if r["unit_ids"] is not None else None,
            ordered=r["ordered"],
            state=r["state"],
            disabled_reason=r["disabled_reason"],
            failing_since=r["failing_since"],
            created_at=r["created_at"],
        )


@strawberry.type(description="Deliveries of one endpoint (also Prometheus ducha_webhook_*).")
class WebhookStats:
    delivered: int
    pending: int
    dead: int
    lag_seconds: float = strawberry.field(description="Age of the oldest pending delivery")


@strawberry.type(description="One delivery attempt: the answer and how long it took.")
class WebhookAttempt:
    id: strawberry.ID
    event_id: str
    event_type: str
    attempted_at: datetime
    status: int | None = strawberry.field(description="HTTP status; null when no answer")
    latency_ms: int
    error: str | None
    delivery_state: str = strawberry.field(description="PENDING | DELIVERED | DEAD")
    attempts: int
    replay: bool


@strawberry.type(description="A page of public events (CloudEvents 1.0 JSON).")
class IntegrationEventPage:
    events: list[JSON]
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page")
    has_next_page: bool


@strawberry.type(description="A public event type and its data schema.")
class IntegrationEventType:
    type: str
    version: int
    dataschema: str


@strawberry.input
class IntegrationClientCreateInput:
    name: str
    unit_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    all_units: bool = False
    event_types: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class IntegrationClientCreateSuccess:
    client: IntegrationClient
    token: str | None = strawberry.field(
        description="Service-account bearer token (shown once; null with an external IdP)"
    )


@strawberry.input
class WebhookSubscriptionCreateInput:
    url: str
    event_types: list[str]
    unit_ids: list[strawberry.ID] | None = None
    ordered: bool = False
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="The office names the client; a client omits it"
    )


@strawberry.type
class WebhookSubscriptionSecret:
    subscription: WebhookSubscription
    secret: str = strawberry.field(description="whsec_… signing secret (shown once)")


@strawberry.type
class WebhookSubscriptionChange:
    subscription: WebhookSubscription


@strawberry.type
class WebhookReplaySuccess:
    queued: int


@strawberry.type
class IntegrationClientChange:
    client: IntegrationClient


IntegrationClientCreateResult = Annotated[
    IntegrationClientCreateSuccess | ValidationError,
    strawberry.union("IntegrationClientCreateResult"),
]
IntegrationClientSetActiveResult = Annotated[
    IntegrationClientChange | NotFoundError | ValidationError,
    strawberry.union("IntegrationClientSetActiveResult"),
]
WebhookSubscriptionCreateResult = Annotated[
    WebhookSubscriptionSecret | ValidationError | NotFoundError,
    strawberry.union("WebhookSubscriptionCreateResult"),
]
WebhookSecretRotateResult = Annotated[
    WebhookSubscriptionSecret | ValidationError | NotFoundError,
    strawberry.union("WebhookSecretRotateResult"),
]
WebhookSubscriptionSetActiveResult = Annotated[
    WebhookSubscriptionChange | ValidationError | NotFoundError | ConflictError,
    strawberry.union("WebhookSubscriptionSetActiveResult"),
]
WebhookReplayResult = Annotated[
    WebhookReplaySuccess | ValidationError | NotFoundError,
    strawberry.union("WebhookReplayResult"),
]


@strawberry.type
class IntegrationQuery:
    @strawberry.field(description="Public event types with their data schema (anyone signed in).")
    def integration_event_types(self, info: AppInfo) -> list[IntegrationEventType]:
        info.context.require()
        return [
            IntegrationEventType(type=p.type, version=p.version, dataschema=p.dataschema)
            for p in domain.PUBLIC
        ]

    @strawberry.field(description="对接系统 (office: all; a client: itself).")
    async def integration_clients(self, info: AppInfo) -> list[IntegrationClient]:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        rows = await service.list_clients(info.context.pool, principal)
        return [IntegrationClient.from_row(r) for r in rows]

    @strawberry.field(description="Webhook subscriptions (office: all; a client: its own).")
    async def webhook_subscriptions(self, info: AppInfo) -> list[WebhookSubscription]:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        rows = await service.list_subscriptions(info.context.pool, principal)
        return [WebhookSubscription.from_row(r) for r in rows]

    @strawberry.field(description="Delivery counts and lag of one endpoint.")
    async def webhook_stats(self, info: AppInfo, id: strawberry.ID) -> WebhookStats:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        st = await service.stats(info.context.pool, principal, str(id))
        if st is None:
            return WebhookStats(delivered=0, pending=0, dead=0, lag_seconds=0.0)
        return WebhookStats(
            delivered=st["delivered"],
            pending=st["pending"],
            dead=st["dead"],
            lag_seconds=float(st["lag_seconds"]),
        )

    @strawberry.field(description="投递日志: newest attempts of one endpoint first.")
    async def webhook_attempts(
        self, info: AppInfo, id: strawberry.ID, first: int = 50
    ) -> list[WebhookAttempt]:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        rows = await service.attempts(info.context.pool, principal, str(id), first)
        return [
            WebhookAttempt(
                id=strawberry.ID(str(r["id"])),
                event_id=str(r["event_id"]),
                event_type=r["event_type"],
                attempted_at=r["attempted_at"],
                status=r["status"],
                latency_ms=r["latency_ms"],
                error=r["error"],
                delivery_state=r["state"],
                attempts=r["attempts"],
                replay=r["replay"],
            )
            for r in rows
        ]

    @strawberry.field(description="Public events after a cursor, within the caller's scope.")
    async def integration_events(
        self, info: AppInfo, after: str | None = None, first: int = 100
    ) -> IntegrationEventPage:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        events, end, more = await service.events_page(info.context.pool, principal, after, first)
        return IntegrationEventPage(events=events, end_cursor=end, has_next_page=more)  # type: ignore[arg-type]


@strawberry.type
class IntegrationMutation:
    @strawberry.mutation(description="Register a department's system (office).")
    async def integration_client_create(
        self, info: AppInfo, input: IntegrationClientCreateInput
    ) -> IntegrationClientCreateResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE)
        new = service.NewClient(
            name=input.name,
            unit_ids=[str(u) for u in input.unit_ids],
            all_units=input.all_units,
            event_types=input.event_types,
        )
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.create_client(
                info.context.pool, principal, new, info.context.app_state.settings
            ),
            lambda r: IntegrationClientCreateSuccess(
                client=IntegrationClient.from_row(r[0]), token=r[1]
            ),
        )

    @strawberry.mutation(description="Enable or disable a department's system (office).")
    async def integration_client_set_active(
        self, info: AppInfo, id: strawberry.ID, active: bool
    ) -> IntegrationClientSetActiveResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE)
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.set_client_active(info.context.pool, principal, str(id), active),
            lambda r: IntegrationClientChange(client=IntegrationClient.from_row(r)),
        )

    @strawberry.mutation(description="Subscribe an HTTPS endpoint to public events.")
    async def webhook_subscription_create(
        self, info: AppInfo, input: WebhookSubscriptionCreateInput
    ) -> WebhookSubscriptionCreateResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        new = service.NewSubscription(
            url=input.url,
            event_types=input.event_types,
            unit_ids=[str(u) for u in input.unit_ids] if input.unit_ids else None,
            ordered=input.ordered,
            client_id=str(input.client_id) if input.client_id else None,
        )
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.create_subscription(
                info.context.pool, principal, new, info.context.app_state.settings
            ),
            lambda r: WebhookSubscriptionSecret(
                subscription=WebhookSubscription.from_row(r[0]), secret=r[1]
            ),
        )

    @strawberry.mutation(
        description="New signing secret; the old one signs too during the overlap."
    )
    async def webhook_secret_rotate(
        self, info: AppInfo, id: strawberry.ID, overlap_hours: float = 24.0
    ) -> WebhookSecretRotateResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.rotate_secret(info.context.pool, principal, str(id), overlap_hours),
            lambda r: WebhookSubscriptionSecret(
                subscription=WebhookSubscription.from_row(r[0]), secret=r[1]
            ),
        )

    @strawberry.mutation(
        description="Enable (e.g. after an automatic disable) or disable an endpoint."
    )
    async def webhook_subscription_set_active(
        self, info: AppInfo, id: strawberry.ID, active: bool
    ) -> WebhookSubscriptionSetActiveResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.set_subscription_active(info.context.pool, principal, str(id), active),
            lambda r: WebhookSubscriptionChange(subscription=WebhookSubscription.from_row(r)),
        )

    @strawberry.mutation(description="补发: deliver again every event of [from, to) in scope.")
    async def webhook_replay(
        self,
        info: AppInfo,
        id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> WebhookReplayResult:
        principal = info.context.require(Role.SUPERVISION_OFFICE, Role.INTEGRATION)
        return await run_mutation(  # type: ignore[no-any-return]
            lambda: service.replay(info.context.pool, principal, str(id), from_, to),
            lambda n: WebhookReplaySuccess(queued=n),
        )
