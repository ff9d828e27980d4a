"""Durable JetStream pull consumers with an idempotent inbox and a dead-letter table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter

from services.core.events import Envelope, EventContract, decode

log = logging.getLogger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope, EventContract], Awaitable[None]]

EVENTS_CONSUMED = Counter(
    "ducha_events_consumed_total", "Events handled", ["consumer", "type", "outcome"]
)


async def is_newer(conn: asyncpg.Connection, envelope: Envelope) -> bool:
    """Record the envelope's aggregate version; False when a newer one was applied."""
    key = f"{envelope.producer}:{envelope.aggregate_id}"
    applied = await conn.fetchval(
        "INSERT INTO aggregate_versions (aggregate_id, version) VALUES ($1, $2)"
        " ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version"
        " WHERE aggregate_versions.version < EXCLUDED.version RETURNING true",
        key,
        envelope.aggregate_version,
    )
    return bool(applied)


@dataclass
class Subscription:
    """What one service consumes from one stream."""

    stream: str
    handlers: dict[str, Handler]
    contracts: dict[str, type[EventContract]]
    name: str = ""
    filters: list[str] = field(default_factory=list)


def retry_delay(deliveries: int) -> float:
    return min(0.2 * (2 ** max(deliveries - 1, 0)), 10.0)


class Consumer:
    def __init__(
        self,
        service: str,
        sub: Subscription,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        batch: int = 64,
    ) -> None:
        self.service = service
        self.sub = sub
        self.pool = pool
        self.js = js
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.batch = batch
        self.durable = sub.name or f"{service}-{sub.stream.lower()}"

    async def ensure(self) -> None:
        """Create or update the durable consumer (pull_subscribe would ignore new config)."""
        subjects = sorted(self.sub.filters or self.sub.handlers)
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
            filter_subjects=subjects,
            max_ack_pending=1000,
        )
        await self.js.add_consumer(self.sub.stream, config)

    async def _dead_letter(self, msg: Msg, error: str, event_id: str | None) -> None:
        try:
            seq = msg.metadata.sequence.stream
            deliveries = msg.metadata.num_delivered
        except Exception:
            seq, deliveries = None, 1
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO dead_letters (consumer, subject, stream_seq, event_id, payload,"
                " error, deliveries) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                self.durable,
                msg.subject,
                seq,
                event_id,
                msg.data.decode("utf-8", errors="replace"),
                error[:2000],
                deliveries,
            )

    async def handle(self, msg: Msg) -> None:
        try:
            envelope = Envelope.from_json(msg.data)
            event = decode(envelope, self.sub.contracts)
            handler = self.sub.handlers[envelope.type]
        except Exception as e:
            log.error("unparseable event on %s: %s", msg.subject, e)
            await self._dead_letter(msg, f"unparseable: {e}", None)
            await msg.term()
            EVENTS_CONSUMED.labels(self.durable, msg.subject, "dead").inc()
            return
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                fresh = await conn.fetchval(
                    "INSERT INTO processed_events (event_id, event_type) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING RETURNING true",
                    envelope.id,
                    envelope.type,
                )
                if fresh:
                    await handler(conn, envelope, event)
            await msg.ack()
            EVENTS_CONSUMED.labels(self.durable, envelope.type, "ok" if fresh else "dup").inc()
        except Exception as e:
            deliveries = msg.metadata.num_delivered or 1
            if deliveries >= self.max_deliver:
                log.error("event %s failed %d times, dead-lettered: %s", envelope.id, deliveries, e)
                await self._dead_letter(msg, repr(e), str(envelope.id))
                await msg.term()
                EVENTS_CONSUMED.labels(self.durable, envelope.type, "dead").inc()
            else:
                log.warning("event %s failed (delivery %d): %s", envelope.id, deliveries, e)
                await msg.nak(delay=retry_delay(deliveries))
                EVENTS_CONSUMED.labels(self.durable, envelope.type, "retry").inc()

    async def run(self) -> None:
        while True:
            try:
                await self.ensure()
                psub = await self.js.pull_subscribe_bind(self.durable, self.sub.stream)
                break
            except Exception as e:
                log.warning("consumer %s not ready yet: %s", self.durable, e)
                await asyncio.sleep(0.5)
        try:
            while True:
                try:
                    msgs = await psub.fetch(self.batch, timeout=1.0)
                except TimeoutError:
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    log.warning("fetch failed on %s: %s", self.durable, e)
                    await asyncio.sleep(0.5)
                    continue
                for msg in msgs:
                    await self.handle(msg)
        finally:
            # nats-py's fetch takes messages off the subscription queue without
            # task_done(), so a later nc.drain() waits its full 30 s timeout on this
            # subscription. Unsubscribing on the way out lets shutdown finish at once.
            with contextlib.suppress(Exception):
                await psub.unsubscribe()
