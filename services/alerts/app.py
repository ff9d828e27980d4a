"""The alerts service: four-colour warning and reminders."""

from __future__ import annotations

from services.alerts.events import subscriptions
from services.alerts.graphql.schema import build_schema
from services.core.app_factory import ServiceSpec

SPEC = ServiceSpec(name="alerts", schema=build_schema, subscriptions=subscriptions)
