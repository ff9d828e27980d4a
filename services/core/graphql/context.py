"""The per-request context every resolver receives, and its ``Info`` alias."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info

from services.core.auth import Principal, Role
from services.core.errors import Forbidden, Unauthenticated
from services.core.logs import request_id_var


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
