"""The tasks subgraph schema, assembled from the features' queries and mutations."""

from __future__ import annotations

import strawberry

from services.core.graphql import federation_schema
from services.core.graphql.dead_letters import dead_letter_graphql, dead_letter_id_formats
from services.tasks.audit.graphql import AuditQuery
from services.tasks.calendar.graphql import CalendarMutation, CalendarQuery
from services.tasks.items.graphql.mutations import ItemMutation
from services.tasks.items.graphql.queries import ItemQuery
from services.tasks.ledger.graphql import LedgerMutation, LedgerQuery, LedgerRowsError
from services.tasks.lifecycle.graphql.mutations import LifecycleMutation
from services.tasks.moves.graphql import MovesMutation, MovesQuery
from services.tasks.notices.graphql.mutations import NoticeMutation
from services.tasks.notices.graphql.queries import NoticeQuery
from services.tasks.org.graphql.mutations import OrganisationMutation
from services.tasks.org.graphql.queries import OrgQuery

DeadLetterQuery, DeadLetterMutation = dead_letter_graphql("tasks")


@strawberry.type
class Query(
    ItemQuery,
    OrgQuery,
    AuditQuery,
    NoticeQuery,
    LedgerQuery,
    CalendarQuery,
    MovesQuery,
    DeadLetterQuery,  # type: ignore[valid-type,misc]
):
    pass


@strawberry.type
class Mutation(
    ItemMutation,
    LifecycleMutation,
    OrganisationMutation,
    NoticeMutation,
    LedgerMutation,
    CalendarMutation,
    MovesMutation,
    DeadLetterMutation,  # type: ignore[valid-type,misc]
):
    pass


# Input length limits other than the default (services.core.graphql.inputs): a workbook of
# up to 20 MB in base64, and short strings that are keys or cursors.
MAX_LENGTHS: dict[str, int | None] = {
    "LedgerUploadInput.contentBase64": 28_000_000,
    # a scanned instruction page: 2 MB decoded (the use-case says so with field "scan")
    "ScanInput.base64": 3_000_000,
    "ItemFilter.keyword": 200,
    "ItemReportProgressInput.idempotencyKey": 100,
    "Query.items(after:)": 200,
    "Query.auditTrail(after:)": 200,
    "Query.auditTrail(actorId:)": 200,
}
# an actor is whoever a token names (a person's id, or a service account's subject)
ID_FORMATS = {"Query.auditTrail(actorId:)": "text"}


def build_schema() -> strawberry.federation.Schema:
    return federation_schema(
        query=Query,
        mutation=Mutation,
        types=[LedgerRowsError],
        max_lengths=MAX_LENGTHS,
        id_formats={**ID_FORMATS, **dead_letter_id_formats("tasks")},
    )
