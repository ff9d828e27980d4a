"""Dead letters the office can see, replay after a fix, or discard (ADR 0015).

A replay does not go back through JetStream (its duplicate window would drop a
re-publish with the original id): the stored envelope is handed to the same consumer
code in this process, in one transaction with its ``processed_events`` row, so an event
already applied is not applied twice. A replay that fails again stays open with the new
error; resolved letters stay as history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from services.core.consumer import Consumer
from services.core.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

_COLUMNS = (
    "id, consumer, subject, stream_seq, event_id, payload, error, deliveries, created_at,"
    " resolved_at, resolution, resolved_by"
)


@dataclass(frozen=True)
class DeadLetterRow:
    id: int
    consumer: str
    subject: str
    stream_seq: int | None
    event_id: str | None
    payload: str
    error: str
    deliveries: int
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    resolved_by: str | None

    @classmethod
    def of(cls, row: Any) -> DeadLetterRow:
        return cls(**dict(row))


@dataclass
class Resolution:
    replayed: int = 0
    discarded: int = 0
    failed: list[DeadLetterRow] = field(default_factory=list)

    def describe(self) -> str:
        text = f"replayed {self.replayed}, discarded {self.discarded}, failed {len(self.failed)}"
        return "\n".join([text, *(f"  #{r.id} {r.subject}: {r.error}" for r in self.failed)])


# -- store ---------------------------------------------------------------------------


async def list_dead_letters(
    conn: asyncpg.Connection, first: int = 50, include_resolved: bool = False
) -> list[DeadLetterRow]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM dead_letters"
        " WHERE $2 OR resolved_at IS NULL ORDER BY id DESC LIMIT $1",
        first,
        include_resolved,
    )
    return [DeadLetterRow.of(r) for r in rows]


async def count_open(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL"))


async def open_letters(conn: asyncpg.Connection, ids: list[int] | None) -> list[DeadLetterRow]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM dead_letters WHERE resolved_at IS NULL"
        " AND ($1::bigint[] IS NULL OR id = ANY($1)) ORDER BY id",
        ids,
    )
    return [DeadLetterRow.of(r) for r in rows]


async def mark_resolved(
    conn: asyncpg.Connection, letter_id: int, resolution: str, actor: str
) -> None:
    await conn.execute(
        "UPDATE dead_letters SET resolved_at = now(), resolution = $2, resolved_by = $3"
        " WHERE id = $1 AND resolved_at IS NULL",
        letter_id,
        resolution,
        actor,
    )


async def record_failure(conn: asyncpg.Connection, letter_id: int, error: str) -> None:
    await conn.execute(
        "UPDATE dead_letters SET error = $2, deliveries = deliveries + 1 WHERE id = $1",
        letter_id,
        error[:2000],
    )


# -- use-cases -------------------------------------------------------------------------


def _select(letter_id: int | str | None, everything: bool) -> list[int] | None:
    if everything == (letter_id is not None):
        raise ValidationFailed(
            "请指定一条死信，或选择全部 (give an id or all, not both)", field="id"
        )
    if everything:
        return None
    try:
        return [int(str(letter_id))]
    except ValueError:
        raise ValidationFailed(f"无效的编号 (not a valid id): {letter_id!r}", field="id") from None


async def _pick(
    pool: asyncpg.Pool, letter_id: int | str | None, everything: bool
) -> list[DeadLetterRow]:
    ids = _select(letter_id, everything)
    async with pool.acquire() as conn:
        letters = await open_letters(conn, ids)
    if ids and not letters:
        raise NotFound(f"没有未处理的死信 #{letter_id} (no open dead letter)", field="id")
    return letters


async def replay(
    pool: asyncpg.Pool,
    consumers: list[Consumer],
    letter_id: int | str | None = None,
    everything: bool = False,
    actor: str = "cli",
) -> Resolution:
    """Re-apply open dead letters through their consumer; idempotent per event id."""
    by_name = {c.durable: c for c in consumers}
    result = Resolution()
    for letter in await _pick(pool, letter_id, everything):
        consumer = by_name.get(letter.consumer)
        try:
            if consumer is None:
                raise LookupError(f"no consumer {letter.consumer!r} in this service")
            envelope, event, handler = consumer.read(letter.payload)
            await consumer.apply(envelope, event, handler)
        except Exception as e:
            log.warning("dead letter %d replay failed: %r", letter.id, e)
            async with pool.acquire() as conn:
                await record_failure(conn, letter.id, f"replay: {e!r}")
            result.failed.append(letter)
            continue
        async with pool.acquire() as conn:
            await mark_resolved(conn, letter.id, "REPLAYED", actor)
        result.replayed += 1
    return result


async def discard(
    pool: asyncpg.Pool,
    letter_id: int | str | None = None,
    everything: bool = False,
    actor: str = "cli",
) -> Resolution:
    result = Resolution()
    letters = await _pick(pool, letter_id, everything)
    async with pool.acquire() as conn, conn.transaction():
        for letter in letters:
            await mark_resolved(conn, letter.id, "DISCARDED", actor)
            result.discarded += 1
    return result
