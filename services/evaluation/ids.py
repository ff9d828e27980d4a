"""Ids in evaluation's mutation inputs: one that is not a UUID names nothing, so the
mutation answers NOT_FOUND for it (the field named), as for an id that does not exist."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.core.errors import NotFound
from services.core.ids import try_uuid


def require_id(value: Any, field: str) -> UUID:
    parsed = try_uuid(value)
    if parsed is None:
        raise NotFound("编号无效或不存在", field=field)
    return parsed
