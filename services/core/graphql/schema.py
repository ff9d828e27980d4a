"""Building a federation subgraph schema with the extensions every subgraph uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from services.core.graphql.cost import annotate_list_sizes
from services.core.graphql.errors import COMMON_ERROR_TYPES, MaskInternalErrors, log_error
from services.core.graphql.inputs import InputGuard, InputRules, guard_mutations
from services.core.graphql.signature import GatewaySignature
from services.core.settings import get_settings

FEDERATION_VERSION = "2.9"


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema that logs each error once, at the level it deserves."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            log_error(error)


def federation_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    max_lengths: Mapping[str, int | None] | None = None,
    id_formats: Mapping[str, str] | None = None,
) -> strawberry.federation.Schema:
    """The subgraph schema. ``max_lengths`` and ``id_formats`` override the input checks
    (services.core.graphql.inputs) by schema coordinate: ``Type.field`` for an input field,
    ``Type.field(arg:)`` for an argument."""
    settings = get_settings()
    rules = InputRules(max_lengths=dict(max_lengths or {}), id_formats=dict(id_formats or {}))
    # The gateway enforces its own, tighter limits; these hold for any caller that reaches a
    # subgraph directly, and leave room for the gateway's entity fetches.
    extensions: list[Any] = [
        MaskInternalErrors,
        lambda: ParserCache(maxsize=512),  # the caches live at module level
        lambda: ValidationCache(maxsize=512),
        QueryDepthLimiter(max_depth=settings.subgraph_max_depth),
        MaxTokensLimiter(max_token_count=settings.subgraph_max_tokens),
        MaxAliasesLimiter(max_alias_count=settings.subgraph_max_aliases),
        lambda: InputGuard(rules=rules),
    ]
    if settings.subgraph_hmac_secret:
        secret = settings.subgraph_hmac_secret
        extensions.insert(0, lambda: GatewaySignature(secret=secret))
    annotate_list_sizes([query, mutation, subscription, *types], settings.assumed_list_size)
    guard_mutations(mutation)
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=[*COMMON_ERROR_TYPES, *types],
        # parsing and validating the same documents again is a third of a small request
        extensions=extensions,
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )
