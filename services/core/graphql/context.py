"""The per-request context every resolver receives, and its ``Info`` alias."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
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


def selects(info: Info[Any, Any], name: str) -> bool:
    """Whether the field being resolved selects ``name`` directly (through inline fragments
    and fragment spreads too) — so a resolver can load what a child field needs in the same
    round trip. Reads the parsed document; builds nothing."""
    raw = info._raw_info
    fragments = raw.fragments
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode | None) -> bool:
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                if sel.name.value == name:
                    return True
            elif isinstance(sel, InlineFragmentNode):
                if walk(sel.selection_set):
                    return True
            elif isinstance(sel, FragmentSpreadNode):
                fragment = sel.name.value
                if fragment not in seen and fragment in fragments:
                    seen.add(fragment)
                    if walk(fragments[fragment].selection_set):
                        return True
        return False

    return any(walk(node.selection_set) for node in raw.field_nodes)
