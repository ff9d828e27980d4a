"""The tasks service: items, units, people, audit trail."""

from __future__ import annotations

from services.core.app_factory import ServiceSpec
from services.tasks.schema import build_schema
from services.tasks.wecom.http import routes

SPEC = ServiceSpec(name="tasks", schema=build_schema, routes=routes)
