"""The one mapping from domain errors to GraphQL: typed mutation errors (tier 1) and
masked internal failures (tier 3). Access refusals keep their code (``AccessDenied``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from services.core.errors import AccessDenied, DomainError, InvalidTransition, WorkRefused
from services.core.logs import request_id_var

log = logging.getLogger(__name__)

T = TypeVar("T")


# Tier 1: typed errors returned in mutation unions. Shareable so every subgraph may
# declare the same value types.
@strawberry.interface(description="An expected failure of a mutation a client can act on.")
class UserError:
    code: str
    message: str
    field: str | None


@strawberry.federation.type(shareable=True, description="Input failed validation.")
class ValidationError(UserError):
    pass


@strawberry.federation.type(shareable=True, description="The record does not exist.")
class NotFoundError(UserError):
    pass


@strawberry.federation.type(shareable=True, description="Conflicts with the current state.")
class ConflictError(UserError):
    pass


@strawberry.federation.type(shareable=True, description="Not allowed in the current state.")
class InvalidTransitionError(UserError):
    current_state: str


def user_error(exc: DomainError) -> UserError:
    """The one mapper from domain exceptions to typed GraphQL errors."""
    if isinstance(exc, InvalidTransition):
        return InvalidTransitionError(
            code=exc.code, message=exc.message, field=exc.field, current_state=exc.current_state
        )
    kind = {"NOT_FOUND": NotFoundError, "CONFLICT": ConflictError}.get(exc.code, ValidationError)
    return kind(code=exc.code, message=exc.message, field=exc.field)


async def run_mutation(call: Callable[[], Awaitable[T]], wrap: Callable[[T], Any]) -> Any:
    """Run a use-case; its expected failures become the typed error, its result ``wrap``ped."""
    try:
        result = await call()
    except DomainError as e:
        return user_error(e)
    return wrap(result)


COMMON_ERROR_TYPES: list[type] = [
    ValidationError,
    NotFoundError,
    ConflictError,
    InvalidTransitionError,
]


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(
        original, GraphQLError | AccessDenied | WorkRefused
    )


class MaskInternalErrors(MaskErrors):
    """Tier 3: unexpected failures become INTERNAL with no internals; logged with the id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="内部错误 (internal error)")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        log.error(
            "unhandled error in resolver %s",
            ".".join(str(p) for p in error.path or []),
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id_var.get()},
        )
