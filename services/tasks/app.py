"""The tasks service: items, units, people, audit trail."""

from __future__ import annotations

from starlette.routing import BaseRoute

from services.core.app_factory import ServiceSpec
from services.core.settings import Settings
from services.tasks.devsignin import http as devsignin
from services.tasks.schema import build_schema
from services.tasks.signin import http as signin
from services.tasks.wecom import http as wecom


def routes(settings: Settings) -> list[BaseRoute]:
    """Plain HTTP beside /graphql: the WeCom callback, the WeCom sign-in (ADR 0022) and the
    development sign-in."""
    return [*wecom.routes(settings), *signin.routes(settings), *devsignin.routes(settings)]


SPEC = ServiceSpec(name="tasks", schema=build_schema, routes=routes)
