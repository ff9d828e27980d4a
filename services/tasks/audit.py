"""Audit trail (痕迹): every change appends one entry in the same transaction.

Entries are hash-chained by the database (migration 0010): a BEFORE INSERT trigger
sets ``chain_seq`` (gap-free), ``prev_hash`` and ``hash`` under an advisory lock, and
triggers refuse UPDATE, DELETE and TRUNCATE. :func:`verify_chain` recomputes every
hash with its own copy of the canonical expression and reports the first entry
that does not fit. See docs/adr/0005-audit-trail.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from services.core.logs import request_id_var

GENESIS_HASH = "0" * 64

# The canonical content of an entry, as in the migration's audit_entry_hash(); kept
# here too so that a replaced database function cannot make a changed row pass.
ENTRY_HASH_SQL = (
    "encode(sha256(convert_to(jsonb_build_array("
    " chain_seq, prev_hash,"
    " to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " actor_id, action, subject_type, subject_id, item_id::text, before, after,"
    " request_id)::text, 'UTF8')), 'hex')"
)


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


@dataclass(frozen=True)
class Broken:
    """The first entry that does not fit the chain, and why."""

    chain_seq: int
    entry_id: int | None
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_seq: int
    head_hash: str
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is None:
            return (
                f"audit trail intact: {self.checked} entries, "
                f"head #{self.head_seq} {self.head_hash}"
            )
        b = self.broken
        return (
            f"audit trail BROKEN at entry #{b.chain_seq} (id {b.entry_id}): {b.reason}; "
            f"{self.checked} entries checked before it"
        )


def check_link(
    previous_seq: int, previous_hash: str, seq: int, prev_hash: str, stored: str, expected: str
) -> str | None:
    """Why an entry does not follow the previous one, or None when it does (pure)."""
    if seq != previous_seq + 1:
        return f"expected entry #{previous_seq + 1}, found #{seq} (entries missing)"
    if prev_hash != previous_hash:
        return "prev_hash does not match the hash of the entry before it"
    if stored != expected:
        return "content does not match its hash (entry altered)"
    return None


async def verify_chain(conn: asyncpg.Connection, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; stop at the first entry that does not fit."""
    seq, head = 0, GENESIS_HASH
    checked = 0
    while True:
        rows = await conn.fetch(
            f"SELECT id, chain_seq, prev_hash, hash, {ENTRY_HASH_SQL} AS expected"
            " FROM audit_log WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2",
            seq,
            batch,
        )
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
