"""Parsing ids that arrive as strings (GraphQL ``ID``, entity keys, event fields)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from services.core.errors import ValidationFailed


def try_uuid(value: Any) -> UUID | None:
    """The UUID ``value`` names, or None when it is empty or not a UUID."""
    if value is None or value == "":
        return None
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def parse_uuid(value: Any, field: str = "id") -> UUID:
    """The UUID ``value`` names; a typed validation error naming ``field`` otherwise."""
    parsed = try_uuid(value)
    if parsed is None:
        raise ValidationFailed(f"无效的编号 (not a valid id): {value!r}", field=field)
    return parsed


def parse_optional_uuid(value: Any, field: str = "id") -> UUID | None:
    """None for an absent value, else as ``parse_uuid``."""
    if value is None or value == "":
        return None
    return parse_uuid(value, field)


def parse_uuids(values: Iterable[Any], field: str = "ids") -> list[UUID]:
    return [parse_uuid(v, field) for v in values]


def valid_uuids(keys: Iterable[Any]) -> list[UUID]:
    """The keys that are UUIDs, others dropped (a lookup by them finds nothing)."""
    return [u for u in (try_uuid(k) for k in keys) if u is not None]
