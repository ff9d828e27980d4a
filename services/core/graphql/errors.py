"""The one mapping from domain errors to GraphQL: typed mutation errors (tier 1) and
masked internal failures (tier 3). Access refusals keep their code (``AccessDenied``).

Every top-level error leaves a subgraph with an ``extensions.code`` (docs/errors.md), and
is logged once (``log_error``): refusals and bad input at INFO/WARNING without a traceback,
unexpected failures at ERROR with one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from services.core.errors import AccessDenied, DomainError, ErrorCode, InvalidTransition
from services.core.logs import request_id_var

log = logging.getLogger(__name__)

T = TypeVar("T")


strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="What went wrong in a mutation's typed error; docs/errors.md lists each.",
)


# Tier 1: typed errors returned in mutation unions. Shareable so every subgraph may
# declare the same value types.
@strawberry.interface(description="An expected failure of a mutation a client can act on.")
class UserError:
    code: ErrorCode
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


def error_code(exc: DomainError) -> ErrorCode:
    """The exception's code as the enum; a code missing from ``ErrorCode`` is a bug."""
    try:
        return ErrorCode(exc.code)
    except ValueError:
        log.error("domain error code %r is not in ErrorCode; sent as INVALID", exc.code)
        return ErrorCode.INVALID


def user_error(exc: DomainError) -> UserError:
    """The one mapper from domain exceptions to typed GraphQL errors."""
    code = error_code(exc)
    if isinstance(exc, InvalidTransition):
        return InvalidTransitionError(
            code=code, message=exc.message, field=exc.field, current_state=exc.current_state
        )
    kind = {"NOT_FOUND": NotFoundError, "CONFLICT": ConflictError}.get(code, ValidationError)
    return kind(code=code, message=exc.message, field=exc.field)


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
        original, GraphQLError | AccessDenied | DomainError
    )


def _path(error: GraphQLError) -> str:
    return ".".join(str(p) for p in error.path or [])


def log_error(error: GraphQLError) -> None:
    """One log line per error; a traceback only for what a person must look at."""
    original = error.original_error
    if isinstance(original, AccessDenied):
        log.warning("refused %s at %s: %s", original.code, _path(error), original.message)
    elif isinstance(original, DomainError):
        log.info("bad input %s at %s: %s", original.code, _path(error), original.message)
    elif original is None or isinstance(original, GraphQLError):
        code = (error.extensions or {}).get("code", "")
        log.info("request refused %s at %s: %s", code, _path(error), error.message)
    else:
        log.error("unhandled error in resolver %s", _path(error), exc_info=original)


def with_code(error: GraphQLError, executed: bool) -> GraphQLError:
    """``error`` with a stable ``extensions.code``, added where graphql-core gave none."""
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        return error
    original = error.original_error
    if isinstance(original, DomainError):
        extensions.update(code="BAD_USER_INPUT", reason=error_code(original), field=original.field)
    elif original is None or isinstance(original, GraphQLError):
        # before execution: the document is invalid; during it: a variable or argument is
        extensions["code"] = "BAD_USER_INPUT" if executed else "GRAPHQL_VALIDATION_FAILED"
    else:
        return error
    error.extensions = extensions
    return error


class MaskInternalErrors(MaskErrors):
    """Tier 3: unexpected failures become INTERNAL with no internals (logged by ``log_error``
    with the request id); every other error keeps or gets its stable code."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_should_mask, error_message="内部错误 (internal error)")
        self._executed = False

    def on_execute(self) -> Iterator[None]:
        self._executed = True
        yield

    def on_operation(self) -> Iterator[None]:
        self._executed = False
        yield from super().on_operation()
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [with_code(e, self._executed) for e in errors]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id_var.get()},
        )
