"""Audit trail (痕迹): every change appends one entry in the same transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.core.logs import request_id_var


async def append_audit(
    conn: asyncpg.Connection,
    *,
    actor_id: str,
    action: str,
    subject_type: str,
    subject_id: str,
    item_id: UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor_id, action, subject_type, subject_id, item_id, before,"
        " after, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        actor_id,
        action,
        subject_type,
        subject_id,
        item_id,
        before,
        after,
        request_id_var.get(),
    )
