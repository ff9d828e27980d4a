"""Audit trail (痕迹): every change appends one entry in the same transaction.

Entries are hash-chained by the database (migration 0010): a BEFORE INSERT trigger
sets ``chain_seq`` (gap-free), ``prev_hash`` and ``hash`` under an advisory lock, and
triggers refuse UPDATE, DELETE and TRUNCATE. :func:`verify_chain` recomputes every
hash with its own copy of the canonical expression and reports the first entry
that does not fit (the SQL is in ``audit.store``, the link rule in ``audit.domain``).
See docs/adr/0005-audit-trail.md.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.core.logs import request_id_var
from services.tasks.audit import store
from services.tasks.audit.domain import GENESIS_HASH, Broken, VerifyResult, check_link


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
    """Append one entry; call inside the transaction of the change it records."""
    await store.insert_entry(
        conn,
        actor_id,
        action,
        subject_type,
        subject_id,
        item_id,
        before,
        after,
        request_id_var.get(),
    )


async def verify_chain(conn: asyncpg.Connection, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; stop at the first entry that does not fit."""
    seq, head = 0, GENESIS_HASH
    checked = 0
    while True:
        rows = await store.list_chain_links(conn, seq, batch)
        for r in rows:
            reason = check_link(seq, head, r["chain_seq"], r["prev_hash"], r["hash"], r["expected"])
            if reason:
                return VerifyResult(checked, seq, head, Broken(r["chain_seq"], r["id"], reason))
            seq, head = r["chain_seq"], r["hash"]
            checked += 1
        if len(rows) < batch:
            return VerifyResult(checked, seq, head, None)


async def verify_database(dsn: str, schema: str = "tasks") -> VerifyResult:
    """What `ducha audit-verify` runs: one connection, one consistent snapshot."""
    from services.core.db import connect

    conn = await connect(dsn, schema)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await verify_chain(conn)
    finally:
        await conn.close()
