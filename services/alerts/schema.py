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
from services.core.graphql.dead_letters import dead_letter_graphql, dead_letter_id_formats

DeadLetterQuery, DeadLetterMutation = dead_letter_graphql("alerts")


@strawberry.type
class Query(
    AlertQuery,
    RuleQuery,
    NotificationQuery,
    IntegrationQuery,
    DeadLetterQuery,  # type: ignore[valid-type,misc]
):
    pass


@strawberry.type
class Mutation(
    RuleMutation,
    NotificationMutation,
    IntegrationMutation,
    DeadLetterMutation,  # type: ignore[valid-type,misc]
):
    pass


# Input checks other than the default (services.core.graphql.inputs): notifications are
# numbered by a serial, not a UUID.
MAX_LENGTHS: dict[str, int | None] = {
    "UnitRobotSetInput.wecomRobotKey": 200,
    # the use-case refuses a template over 300 characters naming it (rules.domain)
    "ReminderTemplateInput.key": 40,
    "ReminderTemplateInput.text": 2000,
}
ID_FORMATS = {
    "NotificationMarkReadInput.ids": "integer",
    "NotificationResendInput.ids": "integer",
}


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[SupervisionItem, Unit],
        max_lengths=MAX_LENGTHS,
        id_formats={**ID_FORMATS, **dead_letter_id_formats("alerts")},
    )
