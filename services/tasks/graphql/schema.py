"""The tasks subgraph schema."""

from __future__ import annotations

import strawberry

from services.core.graphql import federation_schema
from services.tasks.graphql.audit_queries import AuditQuery
from services.tasks.graphql.item_mutations import ItemMutation
from services.tasks.graphql.ledger_mutations import LedgerMutation, LedgerQuery, LedgerRowsError
from services.tasks.graphql.lifecycle_mutations import LifecycleMutation
from services.tasks.graphql.notice_mutations import NoticeMutation, NoticeQuery
from services.tasks.graphql.organisation_mutations import OrganisationMutation
from services.tasks.graphql.queries import Query as ItemQuery


@strawberry.type
class Query(ItemQuery, AuditQuery, NoticeQuery, LedgerQuery):
    pass


@strawberry.type
class Mutation(
    ItemMutation, LifecycleMutation, OrganisationMutation, NoticeMutation, LedgerMutation
):
    pass


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(query=Query, mutation=Mutation, types=[LedgerRowsError])
