"""What every subgraph's GraphQL layer stands on: context, auth, errors, SSE framing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.http.streaming import SSETransport
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import Info

from services.core.auth import AuthError, Principal, Role, TokenVerifier
from services.core.errors import DomainError, Forbidden, InvalidTransition, Unauthenticated
from services.core.logs import request_id_var

log = logging.getLogger(__name__)

FEDERATION_VERSION = "2.9"


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    pool: asyncpg.Pool
    principal: Principal | None
    app_state: Any
    loaders: dict[str, Any] = field(default_factory=dict)
    connection_params: dict[str, Any] | None = None

    @property
    def request_id(self) -> str | None:
        return request_id_var.get()

    def require(self, *roles: Role) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        if roles and not self.principal.has(*roles):
            raise Forbidden()
        return self.principal

    def loader(self, name: str, factory: Callable[[], Any]) -> Any:
        """A per-request DataLoader, created on first use."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]


AppInfo = Info[Context, None]


# Tier 1: typed errors returned in mutation unions. Shareable so every subgraph may
# declare the same value types.
@strawberry.interface(description="An expected failure of a mutation a client can act on.")
class UserError:
    code: str
    message: str
    field: str | None


@strawberry.federation.type(shareable=True, description="Input failed validation.")
class ValidationError(UserError):
    pass


@strawberry.federation.type(shareable=True, description="The record does not exist.")
class NotFoundError(UserError):
    pass


@strawberry.federation.type(shareable=True, description="Conflicts with the current state.")
class ConflictError(UserError):
    pass


@strawberry.federation.type(shareable=True, description="Not allowed in the current state.")
class InvalidTransitionError(UserError):
    current_state: str


def user_error(exc: DomainError) -> UserError:
    """The one mapper from domain exceptions to typed GraphQL errors."""
    if isinstance(exc, InvalidTransition):
        return InvalidTransitionError(
            code=exc.code, message=exc.message, field=exc.field, current_state=exc.current_state
        )
    kind = {"NOT_FOUND": NotFoundError, "CONFLICT": ConflictError}.get(exc.code, ValidationError)
    return kind(code=exc.code, message=exc.message, field=exc.field)


COMMON_ERROR_TYPES: list[type] = [
    ValidationError,
    NotFoundError,
    ConflictError,
    InvalidTransitionError,
]


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskInternalErrors(MaskErrors):
    """Tier 3: unexpected failures become INTERNAL with no internals; logged with the id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="内部错误 (internal error)")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error(
            "unhandled error in resolver %s",
            ".".join(str(p) for p in error.path or []),
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id_var.get()},
        )


class LFSSETransport(SSETransport):
    """SSE framed with LF only: Hive Gateway's parser splits events on ``\\n\\n``."""

    def encode_event(self, event: str, data: str | None = None) -> str:
        return super().encode_event(event, data).replace("\r\n", "\n")

    def encode_comment(self, comment: str) -> str:
        return f": {comment}\n\n"


def federation_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
) -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=[*COMMON_ERROR_TYPES, *types],
        # parsing and validating the same documents again is a third of a small request
        extensions=[
            MaskInternalErrors,
            lambda: ParserCache(maxsize=512),  # the caches live at module level
            lambda: ValidationCache(maxsize=512),
        ],
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )


def _unauthenticated_response(message: str) -> Response:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
    )


class SubgraphView(GraphQL):
    """Strawberry's ASGI view that verifies the bearer token before anything runs."""

    stream_transport_classes_by_protocol = {
        **GraphQL.stream_transport_classes_by_protocol,
        GRAPHQL_SSE_PROTOCOL: LFSSETransport,
    }

    def __init__(
        self, schema: strawberry.federation.Schema, verifier: TokenVerifier, graphiql: bool
    ):
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
            ),
        )
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            ide_page = (
                self.graphql_ide is not None
                and request.method == "GET"
                and "query" not in request.query_params
                and "text/html" in request.headers.get("accept", "")
            )
            if not ide_page:
                try:
                    principal = self.verifier.verify_header(request.headers.get("authorization"))
                except AuthError as e:
                    await _unauthenticated_response(f"未登录或令牌无效: {e}")(scope, receive, send)
                    return
                scope.setdefault("state", {})["principal"] = principal
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        state = request.app.state
        principal = request.scope.get("state", {}).get("principal")
        return Context(
            request=request,
            response=response,
            pool=state.pool,
            principal=principal,
            app_state=state,
        )

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        try:
            context.principal = self.verifier.verify_header(header)
        except AuthError as e:
            raise ConnectionRejectionError({"reason": str(e)}) from e
        return await super().on_ws_connect(context)  # type: ignore[arg-type]
