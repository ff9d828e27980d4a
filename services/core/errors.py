"""Exceptions that carry a stable code; pure Python, importable by domain code."""

from __future__ import annotations

from graphql import GraphQLError


class DomainError(Exception):
    """An expected outcome a client can act on (tier 1: returned as a typed error)."""

    code: str = "INVALID"

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class ValidationFailed(DomainError):
    code = "VALIDATION"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"

    def __init__(self, message: str, current_state: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.current_state = current_state


class Unauthenticated(GraphQLError):
    def __init__(
        self, message: str = "未登录或令牌无效 (a valid bearer token is required)"
    ) -> None:
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, message: str = "无权执行此操作 (forbidden)") -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN"})
