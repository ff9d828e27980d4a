"""The subgraph's ASGI view: verifies the bearer token, builds the context, frames SSE."""

from __future__ import annotations

from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.streaming import SSETransport
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)

from services.core.auth import AuthError, TokenVerifier
from services.core.graphql.context import Context


class LFSSETransport(SSETransport):
    """SSE framed with LF only: Hive Gateway's parser splits events on ``\\n\\n``."""

    def encode_event(self, event: str, data: str | None = None) -> str:
        return super().encode_event(event, data).replace("\r\n", "\n")

    def encode_comment(self, comment: str) -> str:
        return f": {comment}\n\n"


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
                    principal = await self.verifier.verify_header_async(
                        request.headers.get("authorization")
                    )
                except AuthError as e:
                    await _unauthenticated_response(f"未登录或令牌无效: {e}")(scope, receive, send)
                    return
                scope.setdefault("state", {})["principal"] = principal
        await super().__call__(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        # nesting deep enough to exhaust the parser's recursion is bad input, not a 500
        try:
            return self.decode_json(data)
        except (ValueError, RecursionError) as e:
            raise HTTPException(400, "Unable to parse request body as JSON") from e

    # orjson both ways (ADR 0020). encode_json stays text: the WebSocket transport sends
    # bytes as binary frames, which graphql-ws clients refuse; HTTP answers skip the detour.
    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = Response(
            orjson.dumps(response_data), status_code=200, media_type="application/json"
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

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
            context.principal = await self.verifier.verify_header_async(header)
        except AuthError as e:
            raise ConnectionRejectionError({"reason": str(e)}) from e
        return await super().on_ws_connect(context)  # type: ignore[arg-type]
