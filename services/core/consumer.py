"""Durable JetStream pull consumers with an idempotent inbox and a dead-letter table."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

import asyncpg
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter

from services.core.event_timing import TimingLog
from services.core.events import Envelope, EventContract, decode
from services.core.supervisor import Heartbeat, is_infrastructure_error

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


def retry_delay(failures: int) -> float:
    """Wait before redelivering an event whose handling failed ``failures`` times."""
    return min(0.2 * (2 ** max(failures - 1, 0)), 10.0)


class Outcome(StrEnum):
    OK = "ok"  # applied
    DUP = "dup"  # already applied before (processed_events)
    RETRY = "retry"  # the event failed; counted, redelivered later
    INFRA = "infra"  # the database or NATS is unavailable; not counted, redelivered later
    DEAD = "dead"  # dead-lettered and terminated


async def _quietly(settle: Awaitable[None]) -> None:
    """Ack/nak/term: if NATS is away the server redelivers after ack_wait anyway."""
    try:
        await settle
    except Exception as e:
        log.warning("could not settle a message: %r", e)


class Consumer:
    """One durable pull consumer: applies each event once, in one transaction.

    Failures are sorted in two (ADR 0015): the database or NATS being unavailable is
    retried with backoff for as long as it lasts and never counts; a failure of the event
    itself is counted in ``event_failures`` and after ``max_deliver`` of them the event
    is dead-lettered. The server's own max_deliver is unlimited for that reason.
    """

    def __init__(
        self,
        service: str,
        sub: Subscription,
        pool: asyncpg.Pool,
        js: JetStreamContext | None,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        batch: int = 64,
        retry_max: float = 5.0,
        stuck_after: float = 120.0,
        committed: Callable[[], None] | None = None,
        timing: bool = False,
    ) -> None:
        self.service = service
        # stamp each message's way through the consumer (ADR 0020); off: one test per message
        self.timing = TimingLog("consumer") if timing else None
        self._fetched_at = 0.0
        # called after an event's transaction commits: the service's outbox relay is woken
        # at once instead of by the NOTIFY round trip through PostgreSQL (ADR 0020)
        self.committed = committed
        self.sub = sub
        self.outcomes: collections.Counter[str] = (
            collections.Counter()
        )  # this instance's outcomes (the metric is global)
        self.pool = pool
        self.js = js
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.batch = batch
        self.retry_max = retry_max
        self.stuck_after = stuck_after
        self.durable = sub.name or f"{service}-{sub.stream.lower()}"
        self.outage = 0  # consecutive infrastructure failures

    async def ensure(self) -> None:
        """Create or update the durable consumer (pull_subscribe would ignore new config)."""
        assert self.js is not None
        subjects = sorted(self.sub.filters or self.sub.handlers)
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,  # we count event failures ourselves (event_failures)
            ack_wait=self.ack_wait,
            filter_subjects=subjects,
            max_ack_pending=1000,
        )
        await self.js.add_consumer(self.sub.stream, config)

    def read(self, raw: bytes | str) -> tuple[Envelope, EventContract, Handler]:
        """Parse a message; raises when the event itself cannot be understood."""
        envelope = Envelope.from_json(raw)
        event = decode(envelope, self.sub.contracts)
        return envelope, event, self.sub.handlers[envelope.type]

    async def apply(
        self,
        envelope: Envelope,
        event: EventContract,
        handler: Handler,
        stream_seq: int | None = None,
        stamps: dict[str, float] | None = None,
    ) -> bool:
        """Apply once (the processed_events row decides); False when already applied.
        ``stamps``: wall-clock times of the steps are added to it (event path timing)."""
        async with self.pool.acquire() as conn:
            if stamps is not None:
                stamps["acquired"] = time.time()
            async with conn.transaction():
                if stamps is not None:
                    stamps["begun"] = time.time()
                fresh = await self._apply_in(conn, envelope, event, handler, stream_seq)
                if stamps is not None:
                    stamps["handled"] = time.time()
        if stamps is not None:
            stamps["committed"] = time.time()
        if fresh and self.committed is not None:
            self.committed()
        return bool(fresh)

    async def _apply_in(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope,
        event: EventContract,
        handler: Handler,
        stream_seq: int | None,
    ) -> bool:
        fresh = await conn.fetchval(
            "INSERT INTO processed_events (event_id, event_type) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            envelope.id,
            envelope.type,
        )
        if fresh:
            await handler(conn, envelope, event)
        if stream_seq is not None:
            await conn.execute(
                "DELETE FROM event_failures WHERE consumer = $1 AND stream_seq = $2",
                self.durable,
                stream_seq,
            )
        return bool(fresh)

    async def _count_failure(self, seq: int | None, error: str) -> int:
        if seq is None:
            return self.max_deliver
        async with self.pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "INSERT INTO event_failures (consumer, stream_seq, failures, last_error)"
                    " VALUES ($1, $2, 1, $3) ON CONFLICT (consumer, stream_seq) DO UPDATE"
                    " SET failures = event_failures.failures + 1, last_error = EXCLUDED.last_error,"
                    " updated_at = now() RETURNING failures",
                    self.durable,
                    seq,
                    error[:2000],
                )
            )

    async def _dead_letter(
        self, msg: Msg, seq: int | None, error: str, event_id: str | None, failures: int
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO dead_letters (consumer, subject, stream_seq, event_id, payload,"
                " error, deliveries) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (consumer, stream_seq)"
                " WHERE resolved_at IS NULL AND stream_seq IS NOT NULL DO NOTHING",
                self.durable,
                msg.subject,
                seq,
                event_id,
                msg.data.decode("utf-8", errors="replace"),
                error[:2000],
                failures,
            )
            if seq is not None:
                await conn.execute(
                    "DELETE FROM event_failures WHERE consumer = $1 AND stream_seq = $2",
                    self.durable,
                    seq,
                )

    def outage_delay(self) -> float:
        return min(0.25 * (2 ** min(self.outage, 10)), self.retry_max)

    async def handle(self, msg: Msg) -> Outcome:
        """Handle one message; never raises (but for cancellation)."""
        try:
            outcome = await self._handle(msg)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # e.g. the failure count or dead letter could not be written
            outcome = Outcome.INFRA if is_infrastructure_error(e) else Outcome.RETRY
            log.warning("event on %s not settled (%s): %r", msg.subject, outcome, e)
            if outcome is Outcome.INFRA:
                self.outage += 1
            await _quietly(msg.nak(delay=self.outage_delay()))
        else:
            if outcome is not Outcome.INFRA:
                self.outage = 0
        EVENTS_CONSUMED.labels(self.durable, msg.subject, outcome.value).inc()
        self.outcomes[outcome.value] += 1
        return outcome

    async def _handle(self, msg: Msg) -> Outcome:
        try:
            seq: int | None = msg.metadata.sequence.stream
        except Exception:
            seq = None
        try:
            envelope, event, handler = self.read(msg.data)
        except Exception as e:
            log.error("unparseable event on %s: %s", msg.subject, e)
            await self._dead_letter(msg, seq, f"unparseable: {e}", None, 1)
            await _quietly(msg.term())
            return Outcome.DEAD
        try:
            redelivered = msg.metadata.num_delivered > 1
        except Exception:
            redelivered = True
        stamps = None
        if self.timing is not None:
            stamps = {"received": self._fetched_at, "read": time.time()}
        try:
            # only a redelivery can have a failure count to clear
            fresh = await self.apply(envelope, event, handler, seq if redelivered else None, stamps)
        except Exception as e:
            if is_infrastructure_error(e):
                self.outage += 1
                log.warning("event %s waits for the database or NATS: %r", envelope.id, e)
                await _quietly(msg.nak(delay=self.outage_delay()))
                return Outcome.INFRA
            failures = await self._count_failure(seq, repr(e))
            if failures >= self.max_deliver:
                log.error("event %s failed %d times, dead-lettered: %r", envelope.id, failures, e)
                await self._dead_letter(msg, seq, repr(e), str(envelope.id), failures)
                await _quietly(msg.term())
                return Outcome.DEAD
            log.warning("event %s failed (failure %d): %r", envelope.id, failures, e)
            await _quietly(msg.nak(delay=retry_delay(failures)))
            return Outcome.RETRY
        await _quietly(msg.ack())
        if stamps is not None and self.timing is not None:
            stamps["acked"] = time.time()
            self.timing.add(
                consumer=self.durable,
                key=f"{envelope.aggregate_id}:{envelope.aggregate_version}",
                event_id=str(envelope.id),
                stamps=stamps,
            )
        return Outcome.OK if fresh else Outcome.DUP

    async def run(self, hb: Heartbeat | None = None) -> None:
        hb = hb or Heartbeat(self.durable)
        assert self.js is not None
        while True:
            try:
                await self.ensure()
                psub = await self.js.pull_subscribe_bind(self.durable, self.sub.stream)
                break
            except Exception as e:
                log.warning("consumer %s not ready yet: %s", self.durable, e)
                await asyncio.sleep(0.5)
        failed_fetches = 0
        try:
            while True:
                try:
                    msgs = await psub.fetch(self.batch, timeout=1.0)
                    if self.timing is not None:
                        self._fetched_at = time.time()
                except TimeoutError:
                    if self.timing is not None:
                        self.timing.flush()
                    hb.beat(self.stuck_after)  # idle: nothing pending for us now
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    failed_fetches += 1
                    log.warning("fetch failed on %s: %s", self.durable, e)
                    if failed_fetches >= 20:  # e.g. the durable is gone: start over
                        raise RuntimeError(f"{self.durable}: fetch keeps failing") from e
                    await asyncio.sleep(0.5)
                    continue
                failed_fetches = 0
                for i, msg in enumerate(msgs):
                    outcome = await self.handle(msg)
                    if outcome is Outcome.INFRA:
                        # the rest of the batch would fail the same way: hand it back
                        delay = self.outage_delay()
                        for rest in msgs[i + 1 :]:
                            await _quietly(rest.nak(delay=delay))
                        await asyncio.sleep(delay)
                        break
                    hb.beat(self.stuck_after)
                    with contextlib.suppress(Exception):
                        hb.detail["pending"] = msg.metadata.num_pending
        finally:
            if self.timing is not None:
                self.timing.flush()
            # nats-py's fetch takes messages off the subscription queue without
            # task_done(), so a later nc.drain() waits its full 30 s timeout on this
            # subscription. Unsubscribing on the way out lets shutdown finish at once.
            with contextlib.suppress(Exception):
                await psub.unsubscribe()
