"""Rebuild the item projection by replaying the TASKS stream (``ducha alerts-rebuild``).

In one transaction, with the items table locked against the live consumer: keep the
current colours aside, empty the projection and the items' aggregate versions, replay
every ``tasks.item.*`` event through the same projection code the consumer uses (an
ephemeral JetStream consumer, no acks), and put the colours back. Then one sweep
re-colours the rebuilt facts: only genuine differences write history and emit
``alerts.level.changed``, so a rebuild never replays reminders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.alerts.colour import service, store
from services.alerts.colour.jobs import SweepResult, sweep
from services.contracts import tasks as tasks_events
from services.core.consumer import is_newer
from services.core.events import Envelope, decode

log = logging.getLogger(__name__)

STREAM = "TASKS"
ITEM_SUBJECTS = "tasks.item.>"


@dataclass
class RebuildResult:
    events: int = 0
    items: int = 0
    sweep: SweepResult | None = None
    skipped: list[str] = field(default_factory=list)  # unparseable messages, reported


async def replay_into(
    conn: asyncpg.Connection,
    js: JetStreamContext,
    batch: int = 500,
    skipped: list[str] | None = None,
) -> int:
    """Feed every item event of the stream, in order, to the projection.

    A message that cannot be read is skipped and described in ``skipped``: one poison
    message must not stop a rebuild (its dead letter is the consumer's business).
    """
    info = await js.stream_info(STREAM)
    last = info.state.last_seq
    if not info.state.messages:
        return 0
    psub = await js.pull_subscribe(
        ITEM_SUBJECTS,
        durable=None,
        stream=STREAM,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.ALL,  # one ack per batch
            max_ack_pending=-1,
            inactive_threshold=60.0,
        ),
    )
    count = 0
    try:
        while True:
            try:
                msgs = await psub.fetch(batch, timeout=2.0)
            except TimeoutError:
                break  # nothing more for this filter
            done = False
            for msg in msgs:
                done = msg.metadata.num_pending == 0 or msg.metadata.sequence.stream >= last
                try:
                    env = Envelope.from_json(msg.data)
                    event = decode(env, tasks_events.CONTRACTS)
                except Exception as e:
                    note = f"{STREAM}#{msg.metadata.sequence.stream} {msg.subject}: {e}"
                    log.warning("rebuild skips an unreadable message: %s", note)
                    if skipped is not None:
                        skipped.append(note[:300])
                    continue
                if isinstance(event, tasks_events.ItemEvent) and await is_newer(conn, env):
                    await service.project_item(
                        conn, event.item, env.aggregate_version, env.occurred_at
                    )
                count += 1
            if msgs:
                await msgs[-1].ack()
            if done:
                break
    finally:
        await psub.unsubscribe()
    return count


async def rebuild(pool: asyncpg.Pool, js: JetStreamContext, at: datetime) -> RebuildResult:
    result = RebuildResult()
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_items(conn)
        await store.save_colours(conn)
        await store.delete_items(conn)
        await store.delete_item_versions(conn)
        result.events = await replay_into(conn, js, skipped=result.skipped)
        await store.restore_colours(conn)
        result.items = await store.count_items(conn)
    result.sweep = await sweep(pool, at)
    log.info("rebuilt %d items from %d events", result.items, result.events)
    return result
