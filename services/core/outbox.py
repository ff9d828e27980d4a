"""Transactional outbox: record events with the change, relay them to JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

import asyncpg
from nats.js import JetStreamContext
from prometheus_client import Counter

from services.core.db import connect
from services.core.event_timing import TimingLog
from services.core.events import Envelope
from services.core.supervisor import Heartbeat

log = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter("ducha_events_published_total", "Events published", ["subject"])
PUBLISH_ERRORS = Counter("ducha_event_publish_errors_total", "Failed publishes", ["subject"])
OUTBOX_LISTENS = Counter(
    "ducha_outbox_listens_total", "LISTEN connections the outbox relay (re-)opened"
)


async def record_events(conn: asyncpg.Connection, envelopes: Iterable[Envelope]) -> None:
    """Write events to the outbox; call inside the transaction of the state change."""
    rows = [(e.id, e.subject, e.model_dump(mode="json")) for e in envelopes]
    if rows:
        await conn.executemany(
            "INSERT INTO outbox (id, subject, payload) VALUES ($1, $2, $3)", rows
        )


async def record_event(conn: asyncpg.Connection, envelope: Envelope) -> None:
    await record_events(conn, [envelope])


class OutboxRelay:
    """Publishes unpublished outbox rows, marking each sent only after its PubAck.

    Woken by NOTIFY (sent by a trigger at commit), with a polling fallback. Rows are
    claimed with FOR UPDATE SKIP LOCKED, so several replicas never publish the same
    row at once; a re-publish after a crash is dropped by JetStream's dedupe on
    ``Nats-Msg-Id`` (the event id).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        dsn: str,
        schema: str,
        poll_seconds: float = 1.0,
        batch_size: int = 200,
        stuck_after: float = 120.0,
        timing: bool = False,
    ) -> None:
        self.pool = pool
        # stamp each row's way through the relay (ADR 0020); off: one test per batch
        self.timing = TimingLog("relay") if timing else None
        self._round_at = 0.0
        self.js = js
        self.dsn = dsn
        self.schema = schema
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.stuck_after = stuck_after
        self._wake = asyncio.Event()
        self._listen_conn: asyncpg.Connection | None = None

    def wake(self) -> None:
        self._wake.set()

    @property
    def listening(self) -> bool:
        return self._listen_conn is not None and not self._listen_conn.is_closed()

    async def _listen(self) -> None:
        """(Re-)LISTEN on a dedicated connection; polling covers the gaps."""
        if self.listening:
            return
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                self._listen_conn.terminate()
            self._listen_conn = None
        try:
            conn = await asyncio.wait_for(connect(self.dsn, self.schema), 5.0)
            await conn.add_listener(f"{self.schema}_outbox", lambda *_: self._wake.set())
            # a lost connection wakes the loop, which then listens again once it can
            conn.add_termination_listener(lambda *_: self._wake.set())
            self._listen_conn = conn
            self._wake.set()  # rows written while nobody listened
            OUTBOX_LISTENS.inc()
        except Exception as e:  # polling still works
            log.warning("outbox LISTEN unavailable: %s", e)

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published."""
        stamps: dict[str, dict[str, float]] | None = {} if self.timing is not None else None
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, subject, payload FROM outbox WHERE published_at IS NULL"
                " ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch_size,
            )
            claimed = time.time() if stamps is not None else 0.0
            done = []
            for row in rows:
                envelope = Envelope.model_validate(row["payload"])
                try:
                    await self.js.publish(
                        row["subject"],
                        envelope.to_json(),
                        headers={"Nats-Msg-Id": str(row["id"])},
                        timeout=5,
                    )
                except Exception as e:
                    PUBLISH_ERRORS.labels(row["subject"]).inc()
                    await conn.execute(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                        row["id"],
                        repr(e)[:500],
                    )
                    log.warning("publish failed, will retry: %s", e)
                    break  # keep order: stop at the first failure
                done.append(row["id"])
                EVENTS_PUBLISHED.labels(row["subject"]).inc()
                if stamps is not None:
                    key = f"{envelope.aggregate_id}:{envelope.aggregate_version}"
                    stamps[f"{row['subject']} {key}"] = {
                        "round": self._round_at,
                        "claimed": claimed,
                        "published": time.time(),
                    }
            if done:
                await conn.execute(
                    "UPDATE outbox SET published_at = now(), attempts = attempts + 1"
                    " WHERE id = ANY($1::uuid[])",
                    done,
                )
        if stamps and self.timing is not None:
            marked = time.time()
            for subject_key, row_stamps in stamps.items():
                subject, key = subject_key.split(" ")
                self.timing.add(
                    subject=subject,
                    key=key,
                    batch=len(rows),
                    stamps={**row_stamps, "marked": marked},
                )
        return len(done) if len(done) == len(rows) else -len(done) - 1

    async def run(self, hb: Heartbeat | None = None) -> None:
        hb = hb or Heartbeat("outbox")
        try:
            while True:
                # After a PostgreSQL restart the LISTEN connection is gone: listen again,
                # or every publish would wait for the poll.
                await self._listen()
                # Clear before reading: a NOTIFY that lands while a batch is being
                # published must wake the next round, not be lost until the poll.
                self._wake.clear()
                if self.timing is not None:
                    self._round_at = time.time()
                try:
                    n = await self.publish_pending()
                except Exception as e:
                    log.warning("outbox relay error: %s", e)
                    n = -1
                if n >= 0:
                    hb.beat(self.stuck_after)
                if n == self.batch_size:
                    continue  # more waiting
                if n < 0:
                    await asyncio.sleep(min(self.poll_seconds, 0.5))
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                except TimeoutError:
                    if self.timing is not None:  # idle: write the stamps now
                        self.timing.flush()
        finally:
            if self.timing is not None:
                self.timing.flush()
            if self._listen_conn is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._listen_conn.close(), 2.0)
                self._listen_conn = None
