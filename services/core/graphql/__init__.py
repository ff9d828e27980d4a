"""What every subgraph's GraphQL layer stands on: context, error mapping, schema, view."""

from services.core.graphql.context import AppInfo, Context
from services.core.graphql.errors import (
    COMMON_ERROR_TYPES,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    UserError,
    ValidationError,
    error_code,
    run_mutation,
    user_error,
)
from services.core.graphql.schema import FEDERATION_VERSION, federation_schema

__all__ = [
    "COMMON_ERROR_TYPES",
    "FEDERATION_VERSION",
    "AppInfo",
    "ConflictError",
    "Context",
    "InvalidTransitionError",
    "NotFoundError",
    "UserError",
    "ValidationError",
    "error_code",
    "federation_schema",
    "run_mutation",
    "user_error",
]
