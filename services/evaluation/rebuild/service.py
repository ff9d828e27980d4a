"""Rebuild (``ducha evaluation-rebuild``): replay the TASKS and ALERTS streams into a fresh
ledger in a separate schema, then replay the office's own records (commendations and
exemption decisions), and compare every cadre's total with the live ledger.

The fresh schema gets the same migrations; rule sets and periods are copied from the
live schema first, so every event is scored with the rule version in force when it
occurred — exactly what the live consumer did.

The replay runs in memory (``MemoryReplay``) through the same pure decisions the live
handlers use (``item_row``, ``unit_rows``, ``item_fact``, ``item_entries``,
``colour_entries``) and mirrors the handlers' SQL semantics (newer-version upserts,
counters, colour spans, first-wins entries), then bulk-copies the result: a
round trip per event would make a province-sized history take hours.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.contracts import alerts as alerts_events
from services.contracts import tasks as tasks_events
from services.core import calendar_store
from services.core.consumer import Handler
from services.core.db import apply_migrations, connect, migrations_for
from services.core.events import Envelope, EventContract, decode
from services.evaluation.exemptions import service as exemptions_service
from services.evaluation.exemptions import store as exemptions_store
from services.evaluation.ledger import projection
from services.evaluation.ledger import service as ledger_service
from services.evaluation.ledger import store as ledger_store
from services.evaluation.ledger.events import alert_handlers, task_handlers
from services.evaluation.rebuild import store
from services.evaluation.rebuild.memory import MemoryReplay


@dataclass
class RebuildReport:
    schema: str
    events: int = 0
    seconds: float = 0.0
    people: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # unreadable messages, reported

    @property
    def equal(self) -> bool:
        return not self.differences

    def describe(self) -> str:
        verdict = "rebuilt == incremental" if self.equal else f"{len(self.differences)} differ"
        lines = [
            f"evaluation rebuild into schema {self.schema}: {self.events} events replayed in"
            f" {self.seconds:.1f}s; {self.people} people scored; {verdict};"
            f" {len(self.skipped)} unreadable message(s) skipped"
        ]
        lines += [f"  skipped {note}" for note in self.skipped]
        lines += [f"  {d}" for d in self.differences[:20]]
        return "\n".join(lines)


def read_event(
    raw: bytes, contracts: dict[str, type[EventContract]]
) -> tuple[Envelope, EventContract] | None:
    """Envelope and decoded contract of a raw message; None for a type not consumed."""
    env = Envelope.from_json(raw)
    if env.type not in contracts:
        return None
    return env, decode(env, contracts)


async def replay_stream(
    js: JetStreamContext,
    stream: str,
    subjects: str,
    contracts: dict[str, type[EventContract]],
    handlers: dict[str, Handler],
    apply: Callable[[list[tuple[Envelope, EventContract, Handler]]], Awaitable[None]],
    batch: int = 500,
    skipped: list[str] | None = None,
) -> int:
    """Feed every event of the stream, in stream order, in batches, to ``apply``.

    A message that cannot be read is skipped and described in ``skipped``.
    """
    info = await js.stream_info(stream)
    if not info.state.messages:
        return 0
    last = info.state.last_seq
    psub = await js.pull_subscribe(
        subjects,
        durable=None,
        stream=stream,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.ALL,
            max_ack_pending=-1,
            inactive_threshold=60.0,
        ),
    )
    count = 0
    idle = 0
    try:
        while True:
            try:
                msgs = await psub.fetch(batch, timeout=2.0)
                idle = 0
            except TimeoutError:
                idle += 1
                if idle >= 5:  # the stream was trimmed below `last`, or the server is gone
                    raise RuntimeError(f"{stream}: replay stalled before sequence {last}") from None
                continue
            work = []
            meta = msgs[-1].metadata if msgs else None
            done = meta is not None and (meta.num_pending == 0 or meta.sequence.stream >= last)
            for msg in msgs:
                try:
                    read = read_event(msg.data, contracts)
                except Exception as e:
                    note = f"{stream}#{msg.metadata.sequence.stream} {msg.subject}: {e}"
                    if skipped is not None:
                        skipped.append(note[:300])
                    continue
                if read is None or read[0].type not in handlers:
                    continue
                work.append((read[0], read[1], handlers[read[0].type]))
            await apply(work)
            count += len(work)
            if msgs:
                await msgs[-1].ack()
            if done:
                break
    finally:
        with contextlib.suppress(Exception):
            name = (await psub.consumer_info()).name
            await js.delete_consumer(stream, name)
        await psub.unsubscribe()
    return count


async def apply_batch(
    conn: asyncpg.Connection, work: list[tuple[Envelope, EventContract, Handler]]
) -> None:
    """Same as the live consumer: idempotency row, then the handler; one transaction."""
    async with conn.transaction():
        for env, event, handler in work:
            if await store.mark_processed(conn, env.id, env.type):
                await handler(conn, env, event)


async def prepare_schema(dsn: str, target: str, source: str) -> None:
    admin = await asyncpg.connect(dsn)
    try:
        await store.drop_schema(admin, target)
    finally:
        await admin.close()
    await apply_migrations(dsn, target, migrations_for("evaluation"))
    admin = await asyncpg.connect(dsn)
    try:
        async with admin.transaction():
            await store.copy_office_tables(admin, source, target)
    finally:
        await admin.close()


async def replay_office_records(conn: asyncpg.Connection) -> None:
    """Commendations, then exemption approvals (and revocations) in decision order."""
    async with conn.transaction():
        for row in await ledger_store.list_commendations(conn):
            await ledger_service.apply_commendation(conn, row)
        for ex in await exemptions_store.decided_exemptions(conn):
            await exemptions_service.apply_approval(conn, ex)
            if ex["state"] == "REVOKED":
                await exemptions_service.apply_revocation(conn, ex)


async def compare(dsn: str, live: str, rebuilt: str) -> tuple[int, list[dict[str, Any]]]:
    a = await connect(dsn, live)
    b = await connect(dsn, rebuilt)
    try:
        left = {str(r["person_id"]): r["score"] for r in await ledger_store.score_totals(a)}
        right = {str(r["person_id"]): r["score"] for r in await ledger_store.score_totals(b)}
    finally:
        await a.close()
        await b.close()
    diffs = [
        {"person_id": p, "incremental": left.get(p), "rebuilt": right.get(p)}
        for p in sorted(set(left) | set(right))
        if round(left.get(p) or 0.0, 2) != round(right.get(p) or 0.0, 2)
    ]
    return len(right), diffs


async def rebuild(
    dsn: str,
    js: JetStreamContext,
    target: str = "evaluation_rebuild",
    source: str = "evaluation",
    batch: int = 1000,
) -> RebuildReport:
    if target == source:
        raise ValueError("the rebuild target must differ from the live schema")
    started = time.perf_counter()
    report = RebuildReport(target)

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        report.phases[name] = round(now - since, 2)
        return now

    await prepare_schema(dsn, target, source)
    live = await connect(dsn, source)
    try:  # lateness counts working days on the office's calendar, as the consumer does
        await calendar_store.load(live)
    finally:
        await live.close()
    t = lap("prepare_schema_s", started)
    conn = await connect(dsn, target)
    try:
        memory = MemoryReplay(await projection.load_rule_versions(conn))

        async def apply(work: list[tuple[Envelope, EventContract, Handler]]) -> None:
            for env, event, _ in work:
                memory.apply(env, event)

        report.events += await replay_stream(
            js,
            "TASKS",
            "tasks.>",
            tasks_events.CONTRACTS,
            task_handlers(),
            apply,
            batch,
            report.skipped,
        )
        report.events += await replay_stream(
            js,
            "ALERTS",
            "alerts.>",
            alerts_events.CONTRACTS,
            alert_handlers(),
            apply,
            batch,
            report.skipped,
        )
        t = lap("replay_s", t)
        await memory.write(conn)
        t = lap("copy_s", t)
        await replay_office_records(conn)
        lap("office_records_s", t)
    finally:
        await conn.close()
    report.seconds = time.perf_counter() - started
    report.people, report.differences = await compare(dsn, source, target)
    return report


async def rebuild_command(dsn: str, nats_url: str, target: str) -> RebuildReport:
    from services.core.bus import connect_nats

    nc = await connect_nats(nats_url, "ducha-evaluation-rebuild")
    try:
        return await rebuild(dsn, nc.jetstream(), target)
    finally:
        await nc.close()  # drain would wait on the ephemeral pull subscriptions
