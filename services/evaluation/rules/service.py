"""Use-cases of the rule sets: the version in force, publishing a new version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.core.auth import Principal
from services.core.errors import ValidationFailed
from services.evaluation.periods.cache import invalidate_standings
from services.evaluation.rules import store
from services.evaluation.rules.domain import RULE_KINDS, validate_rule_body


@dataclass(frozen=True)
class RuleSet:
    kind: str
    version: int
    body: Any
    effective_from: datetime | None
    created_by: str | None


async def current_rule_set(conn: asyncpg.Connection, kind: str) -> RuleSet:
    row = await store.latest_rule_set(conn, kind)
    if row is None:
        return RuleSet(kind, 0, RULE_KINDS[kind], None, None)
    return RuleSet(kind, row["version"], row["body"], row["effective_from"], row["created_by"])


async def update_rule_set(
    pool: asyncpg.Pool, principal: Principal, kind: str, body: Any, now: datetime
) -> RuleSet:
    if kind not in RULE_KINDS:
        raise ValidationFailed("未知的规则类别", field="kind")
    body = validate_rule_body(kind, body)
    async with pool.acquire() as conn, conn.transaction():
        row = await store.insert_rule_set(conn, kind, body, now, principal.subject)
    invalidate_standings()
    return RuleSet(kind, row["version"], row["body"], row["effective_from"], row["created_by"])
