"""The tasks subgraph schema."""

from __future__ import annotations

import strawberry

from services.core.graphql_base import federation_schema
from services.tasks.graphql.item_mutations import ItemMutation
from services.tasks.graphql.organisation_mutations import OrganisationMutation
from services.tasks.graphql.queries import Query


@strawberry.type
class Mutation(ItemMutation, OrganisationMutation):
    pass


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(query=Query, mutation=Mutation)
