"""Use-cases of the ledger kept by the office: leader commendations and criticisms."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.core.auth import Principal
from services.core.errors import ValidationFailed
from services.evaluation.ledger import domain as scoring
from services.evaluation.ledger import store
from services.evaluation.ledger.projection import rules_at
from services.evaluation.periods.cache import invalidate_standings


async def apply_commendation(
    conn: asyncpg.Connection, row: asyncpg.Record | dict[str, Any]
) -> None:
    """Ledger entry for a commendation/criticism row (also used by the rebuild)."""
    rules = await rules_at(conn, row["occurred_at"])
    entry = scoring.score_commendation(rules, row["kind"], float(row["points"]), row["reason"])
    await store.insert_entry(
        conn,
        row["person_id"],
        row["item_id"],
        row["id"],
        entry.rule,
        entry.points,
        entry.explanation,
        row["occurred_at"],
        rules.version,
    )


async def record_commendation(
    pool: asyncpg.Pool,
    principal: Principal,
    person_id: UUID,
    kind: str,
    points: float,
    reason: str,
    item_id: UUID | None,
    now: datetime,
) -> dict[str, Any]:
    if not reason.strip():
        raise ValidationFailed("请填写表扬或批评的事由", field="reason")
    row = {
        "id": uuid.uuid4(),
        "person_id": person_id,
        "item_id": item_id,
        "kind": kind,
        "points": points,
        "reason": reason.strip(),
        "recorded_by": principal.subject,
        "occurred_at": now,
    }
    async with pool.acquire() as conn, conn.transaction():
        scoring.score_commendation(await rules_at(conn, now), kind, points, reason)  # validates
        await store.insert_commendation(conn, row)
        await apply_commendation(conn, row)
    invalidate_standings()
    return row
