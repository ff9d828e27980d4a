"""The tasks subgraph schema, assembled from the features' queries and mutations."""

from __future__ import annotations

import strawberry

from services.core.graphql import federation_schema
from services.tasks.audit.graphql import AuditQuery
from services.tasks.items.graphql.mutations import ItemMutation
from services.tasks.items.graphql.queries import ItemQuery
from services.tasks.ledger.graphql import LedgerMutation, LedgerQuery, LedgerRowsError
from services.tasks.lifecycle.graphql.mutations import LifecycleMutation
from services.tasks.moves.graphql import MovesMutation, MovesQuery
from services.tasks.notices.graphql.mutations import NoticeMutation
from services.tasks.notices.graphql.queries import NoticeQuery
from services.tasks.org.graphql.mutations import OrganisationMutation
from services.tasks.org.graphql.queries import OrgQuery


@strawberry.type
class Query(ItemQuery, OrgQuery, AuditQuery, NoticeQuery, LedgerQuery, MovesQuery):
    pass


@strawberry.type
class Mutation(
    ItemMutation,
    LifecycleMutation,
    OrganisationMutation,
    NoticeMutation,
    LedgerMutation,
    MovesMutation,
):
    pass


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(query=Query, mutation=Mutation, types=[LedgerRowsError])
