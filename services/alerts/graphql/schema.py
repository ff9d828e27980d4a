"""The alerts subgraph schema."""

from __future__ import annotations

import strawberry

from services.alerts.graphql.notification_mutations import NotificationMutation
from services.alerts.graphql.notification_queries import NotificationQuery
from services.alerts.graphql.queries import AlertQuery
from services.alerts.graphql.rule_mutations import RuleMutation
from services.alerts.graphql.subscriptions import Subscription
from services.alerts.graphql.types import SupervisionItem, Unit
from services.core.graphql import federation_schema


@strawberry.type
class Query(AlertQuery, NotificationQuery):
    pass


@strawberry.type
class Mutation(RuleMutation, NotificationMutation):
    pass


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(
        query=Query, mutation=Mutation, subscription=Subscription, types=[SupervisionItem, Unit]
    )
