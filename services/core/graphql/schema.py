"""Building a federation subgraph schema with the extensions every subgraph uses."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from services.core.graphql.errors import COMMON_ERROR_TYPES, MaskInternalErrors

FEDERATION_VERSION = "2.9"


def federation_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
) -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=[*COMMON_ERROR_TYPES, *types],
        # parsing and validating the same documents again is a third of a small request
        extensions=[
            MaskInternalErrors,
            lambda: ParserCache(maxsize=512),  # the caches live at module level
            lambda: ValidationCache(maxsize=512),
        ],
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )
