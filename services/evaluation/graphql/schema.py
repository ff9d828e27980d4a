"""The evaluation subgraph schema."""

from __future__ import annotations

import strawberry

from services.core.graphql import federation_schema
from services.evaluation.graphql.exemption_mutations import ExemptionMutation
from services.evaluation.graphql.queries import Query
from services.evaluation.graphql.settings_mutations import SettingsMutation
from services.evaluation.graphql.types import Person, SupervisionItem, Unit


@strawberry.type
class Mutation(SettingsMutation, ExemptionMutation):
    pass


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(query=Query, mutation=Mutation, types=[Person, Unit, SupervisionItem])
