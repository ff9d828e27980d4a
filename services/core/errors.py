"""Exceptions that carry a stable code; pure Python, importable by domain code.

Nothing here knows GraphQL: ``services.core.graphql.errors`` maps these to typed
mutation errors (``DomainError``) and top-level errors with a code (``AccessDenied``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every ``code`` a typed mutation error (``UserError``) may carry; docs/errors.md says
    what each means. A new code is added here and there (tests/core/test_error_contract.py)."""

    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    INVALID = "INVALID"
    LEDGER_ROWS_INVALID = "LEDGER_ROWS_INVALID"
    NO_PENALTIES = "NO_PENALTIES"
    ROLE_MAY_NOT_DECIDE = "ROLE_MAY_NOT_DECIDE"
    TOO_LARGE = "TOO_LARGE"
    TIMED_OUT = "TIMED_OUT"
    DUPLICATE_SUSPECTED = "DUPLICATE_SUSPECTED"


class DomainError(Exception):
    """An expected outcome a client can act on (tier 1: returned as a typed error)."""

    code: str = ErrorCode.INVALID

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class ValidationFailed(DomainError):
    code: str = ErrorCode.VALIDATION


class NotFound(DomainError):
    code: str = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code: str = ErrorCode.CONFLICT


class InvalidTransition(DomainError):
    code: str = ErrorCode.INVALID_TRANSITION

    def __init__(self, message: str, current_state: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.current_state = current_state


class WorkRefused(DomainError):
    """Heavy work (a file to parse or build) refused for its size or time: typed in a
    mutation's result, a top-level error with this code in a query (never masked)."""

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code}


class TooLarge(WorkRefused):
    code = ErrorCode.TOO_LARGE


class TimedOut(WorkRefused):
    code = ErrorCode.TIMED_OUT


class AccessDenied(Exception):
    """Tier 3: the caller may not do this; a top-level error with a stable code."""

    code: str = "FORBIDDEN"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, Any]:
        # graphql-core copies ``extensions`` from the original error of a located error
        return {"code": self.code}


class Unauthenticated(AccessDenied):
    code = "UNAUTHENTICATED"

    def __init__(
        self, message: str = "未登录或令牌无效 (a valid bearer token is required)"
    ) -> None:
        super().__init__(message)


class Forbidden(AccessDenied):
    code = "FORBIDDEN"

    def __init__(self, message: str = "无权执行此操作 (forbidden)") -> None:
        super().__init__(message)
