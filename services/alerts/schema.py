"""The alerts subgraph schema, assembled from the features."""

from __future__ import annotations

import strawberry

from services.alerts.colour.graphql.queries import AlertQuery
from services.alerts.colour.graphql.subscriptions import Subscription
from services.alerts.colour.graphql.types import SupervisionItem, Unit
from services.alerts.inbox.graphql import NotificationMutation, NotificationQuery
from services.alerts.integrations.graphql import IntegrationMutation, IntegrationQuery
from services.alerts.rules.graphql import RuleMutation, RuleQuery
from services.core.graphql import federation_schema


@strawberry.type
class Query(AlertQuery, RuleQuery, NotificationQuery, IntegrationQuery):
    pass


@strawberry.type
class Mutation(RuleMutation, NotificationMutation, IntegrationMutation):
    pass


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(
        query=Query, mutation=Mutation, subscription=Subscription, types=[SupervisionItem, Unit]
    )
