"""Only the gateway (and trusted internal clients holding the same secret) may query a subgraph.

Hive Gateway's ``hmacSignature`` signs every subgraph request: base64(HMAC-SHA256(secret,
stable JSON of {query, variables})) in ``extensions["hmac-signature"]`` (variables left out
when empty). With ``SUBGRAPH_HMAC_SECRET`` set, a subgraph refuses any operation whose
signature is missing or wrong, so a token alone does not open a subgraph's port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from services.core.errors import Unauthenticated


def sign(secret: str, query: str, variables: dict[str, Any] | None) -> str:
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class GatewaySignature(SchemaExtension):
    def __init__(self, *, secret: str) -> None:
        self.secret = secret

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        given = (ec.operation_extensions or {}).get("hmac-signature")
        expected = sign(self.secret, ec.query or "", ec.variables)
        if not isinstance(given, str) or not hmac.compare_digest(given, expected):
            raise Unauthenticated("子图只接受网关的签名请求 (unsigned subgraph request)")
        yield
