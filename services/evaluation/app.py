"""The evaluation service: performance files, unit evaluation, exemptions."""

from __future__ import annotations

from services.core.app_factory import ServiceSpec
from services.evaluation.ledger.events import subscriptions
from services.evaluation.schema import build_schema

SPEC = ServiceSpec(name="evaluation", schema=build_schema, subscriptions=subscriptions)
