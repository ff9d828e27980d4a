"""Faults injected into a running platform (issue 11): PostgreSQL stopped, NATS frozen,
a poison message. Each test prints sent / applied / lost / duplicated / seconds to recover.

The figures come from the streams (what was sent to each consumer), each service's
``processed_events`` (what was applied) and the consumers' ``ok`` counter (how many
times a handler's transaction committed: more than the events applied would be a
duplicate effect).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import pytest

from services.alerts.cli import rebuild_command as alerts_rebuild
from services.contracts import tasks as tasks_events
from services.core.consumer import Consumer
from services.core.events import STREAMS, Envelope
from services.evaluation.rebuild.service import rebuild_command as evaluation_rebuild
from tests.evaluation.builders import generated_history
from tests.faults.conftest import Platform
from tests.support.servers import wait_for
from tests.tasks.support import make_item, make_person, make_unit

CONSUMING = ("alerts", "evaluation")
OUTAGE_SECONDS = 10.0


class StreamMirror:
    """What each stream holds, read incrementally: seq -> (subject, event id or None)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.seen: dict[str, dict[int, tuple[str, str | None]]] = {s: {} for s in STREAMS}

    async def refresh(self) -> None:
        js = self.platform.apps["tasks"].state.js
        for stream, known in self.seen.items():
            info = await js.stream_info(stream)
            start = max([info.state.first_seq, 1, *[s + 1 for s in known]])
            for seq in range(start, info.state.last_seq + 1):
                msg = await js.get_msg(stream, seq)
                try:
                    event_id: str | None = str(Envelope.from_json(msg.data or b"").id)
                except ValueError:
                    event_id = None
                known[seq] = (msg.subject or "", event_id)

    def sent_to(self, consumers: list[Consumer], since: dict[str, int] | None = None) -> set[str]:
        ids = set()
        for c in consumers:
            first = (since or {}).get(c.sub.stream, 0)
            for seq, (subject, event_id) in self.seen[c.sub.stream].items():
                if seq > first and event_id and subject in c.sub.handlers:
                    ids.add(event_id)
        return ids

    def last(self) -> dict[str, int]:
        return {s: max(known, default=0) for s, known in self.seen.items()}


def committed(consumers: list[Consumer]) -> float:
    """How many times these consumers' handlers committed an event (the ``ok`` outcome).

    Counted on the consumer objects: the Prometheus counter is process-wide, and other
    tests' services in this process may use the same consumer names."""
    return float(sum(c.outcomes["ok"] for c in consumers))


async def applied_ids(platform: Platform, service: str) -> set[str]:
    async with platform.apps[service].state.pool.acquire() as conn:
        return {
            str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM processed_events")
        }


async def sql(platform: Platform, service: str, query: str) -> Any:
    async with platform.apps[service].state.pool.acquire() as conn:
        return await conn.fetchval(query)


async def readiness(platform: Platform) -> dict[str, int]:
    names = list(platform.clients)
    answers = await asyncio.gather(*(platform.clients[n].client.get("/readyz") for n in names))
    return {n: a.status_code for n, a in zip(names, answers, strict=True)}


def consumers(platform: Platform, service: str) -> list[Consumer]:
    return list(platform.apps[service].state.consumers)


@dataclass
class FaultReport:
    fault: str
    sent: int = 0
    applied: int = 0
    lost: int = 0
    duplicated: int = 0
    noticed_s: float = 0.0
    recovered_s: float = 0.0

    def show(self) -> None:
        print(f"\nFAULT {json.dumps(self.__dict__, ensure_ascii=False)}")
        path = os.environ.get("FAULT_REPORT")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(self.__dict__) + "\n")


async def quiet(platform: Platform) -> bool:
    """Nothing is on its way: no consumer has a message pending or unacknowledged and no
    outbox row waits. A baseline taken before that would count the commit of an event sent
    before it (an earlier test's, a job's) as a duplicate."""
    for service in ("tasks", "alerts"):
        if await sql(platform, service, "SELECT count(*) FROM outbox WHERE published_at IS NULL"):
            return False
    js = platform.apps["tasks"].state.js
    for service in CONSUMING:
        for c in consumers(platform, service):
            info = await js.consumer_info(c.sub.stream, c.durable)
            if info.num_pending or info.num_ack_pending:
                return False
    return True


class Baseline:
    """Counters before the fault, so a test measures only its own events."""

    def __init__(self, platform: Platform, mirror: StreamMirror) -> None:
        self.platform = platform
        self.mirror = mirror
        self.since = mirror.last()
        self.commits = {s: committed(consumers(platform, s)) for s in CONSUMING}

    async def settled(self) -> dict[str, Any] | None:
        """Per service: sent, applied, duplicated; None while anything is outstanding."""
        for service in ("tasks", "alerts"):
            if await sql(
                self.platform, service, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            ):
                return None
        await self.mirror.refresh()
        result = {}
        for service in CONSUMING:
            mine = consumers(self.platform, service)
            sent = self.mirror.sent_to(mine, self.since)
            applied = sent & await applied_ids(self.platform, service)
            if applied != sent:
                if os.environ.get("FAULT_DEBUG"):
                    print(f"{time.monotonic():.1f} {service} {len(applied)}/{len(sent)}")
                return None
            commits = committed(mine) - self.commits[service]
            result[service] = {"sent": len(sent), "applied": len(applied), "commits": commits}
        return result


def report(fault: str, figures: dict[str, Any], noticed: float, recovered: float) -> FaultReport:
    r = FaultReport(fault, noticed_s=round(noticed, 2), recovered_s=round(recovered, 2))
    for f in figures.values():
        r.sent += f["sent"]
        r.applied += f["applied"]
        r.duplicated += int(f["commits"] - f["applied"])
    r.lost = r.sent - r.applied
    r.show()
    print(f"FAULT {fault} by service: {json.dumps(figures)}")
    return r


async def publish(platform: Platform, envelopes: list[Envelope]) -> None:
    js = platform.apps["tasks"].state.js
    for env in envelopes:
        await js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})


@pytest.fixture(scope="module")
def mirror(platform: Platform) -> StreamMirror:
    return StreamMirror(platform)


async def test_poison_message_is_one_dead_letter_seen_in_graphql_and_replayed_after_a_fix(
    platform: Platform, mirror: StreamMirror
) -> None:
    office = platform.clients["tasks"]
    unit = await make_unit(office)
    evaluation_tasks = next(c for c in consumers(platform, "evaluation") if c.sub.stream == "TASKS")
    handlers = evaluation_tasks.sub.handlers
    person_type = tasks_events.PersonUpserted.type
    original = handlers[person_type]

    async def buggy(conn: Any, env: Envelope, event: Any) -> None:
        if event.name == "毒药":
            raise RuntimeError("handler bug on 毒药")
        await original(conn, env, event)

    handlers[person_type] = buggy
    try:
        person = await make_person(office, unit, name="毒药")

        async def one_letter() -> list[dict[str, Any]] | None:
            data = await platform.clients["evaluation"](
                "{ evaluationDeadLetters { id service consumer subject error failures"
                " envelope eventId } }"
            )
            return data["evaluationDeadLetters"] or None

        letters = await wait_for(one_letter, timeout=30)
    finally:
        handlers[person_type] = original  # the fix is deployed
    assert len(letters) == 1
    letter = letters[0]
    assert letter["service"] == "evaluation" and letter["subject"] == person_type
    assert "handler bug" in letter["error"] and letter["failures"] == 3
    assert letter["envelope"]["data"]["id"] == person
    alerts_letters = await platform.clients["alerts"]("{ alertsDeadLetters { id } }")
    assert alerts_letters["alertsDeadLetters"] == []  # alerts applied the same event

    replay = (
        "mutation ($id: ID) { evaluationDeadLetterReplay(id: $id) {"
        " __typename ... on DeadLetterResolveSuccess { replayed failed { id } }"
        " ... on UserError { code } } }"
    )
    done = await platform.clients["evaluation"](replay, {"id": letter["id"]})
    assert done["evaluationDeadLetterReplay"] == {
        "__typename": "DeadLetterResolveSuccess",
        "replayed": 1,
        "failed": [],
    }
    assert letter["eventId"] in await applied_ids(platform, "evaluation")
    assert await sql(platform, "evaluation", f"SELECT count(*) FROM people WHERE id = '{person}'")
    again = await platform.clients["evaluation"](replay, {"id": letter["id"]})
    assert again["evaluationDeadLetterReplay"]["code"] == "NOT_FOUND"  # resolved, not re-applied


async def test_unreadable_messages_are_dead_letters_and_rebuilds_skip_them(
    platform: Platform,
) -> None:
    js = platform.apps["tasks"].state.js
    await js.publish(tasks_events.ItemCreated.type, b"{not json", headers={"Nats-Msg-Id": "p1"})
    await js.publish("alerts.level.changed", b"\xff\xfe", headers={"Nats-Msg-Id": "p2"})

    async def letters(service: str) -> int:
        return int(
            await sql(
                platform, service, "SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL"
            )
        )

    # each service has one consumer on each subject
    await wait_for(lambda: _all(letters("alerts"), letters("evaluation"), want=2), timeout=30)

    env = {
        **os.environ,
        "DATABASE_URL": platform.settings.require_database_url(),
        "NATS_URL": platform.settings.require_nats_url(),
        "LOG_JSON": "false",
    }
    listed = _ducha(env, "dead-letters", "list", "alerts")
    assert listed.count("unparseable") == 2, listed
    assert "discarded 2" in _ducha(env, "dead-letters", "discard", "alerts", "--all")
    assert "discarded 2" in _ducha(env, "dead-letters", "discard", "evaluation", "--all")
    assert await letters("alerts") == 0 and await letters("evaluation") == 0

    alerts_report = await alerts_rebuild(platform.settings)
    assert "1 unreadable message(s) skipped" in alerts_report, alerts_report
    evaluation_report = await evaluation_rebuild(
        platform.settings.require_database_url(),
        platform.settings.require_nats_url(),
        "evaluation_rebuild",
    )
    assert len(evaluation_report.skipped) == 2, evaluation_report.describe()
    print(f"\n{alerts_report}\n{evaluation_report.describe()}")


async def _all(*counts: Any, want: int) -> bool:
    return all(c == want for c in await asyncio.gather(*counts))


def _ducha(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout


async def test_nats_frozen_for_ten_seconds_is_noticed_and_caught_up(
    platform: Platform, mirror: StreamMirror
) -> None:
    await wait_for(lambda: quiet(platform), timeout=60, interval=0.2)
    await mirror.refresh()
    base = Baseline(platform, mirror)
    office = platform.clients["tasks"]
    unit = await make_unit(office)
    await wait_for(lambda: _ready(platform))

    platform.nats.freeze()
    frozen = time.monotonic()
    try:
        await wait_for(lambda: _none_ready(platform), timeout=OUTAGE_SECONDS)
        noticed = time.monotonic() - frozen
        people = [await make_person(office, unit, name=f"冻结{i}") for i in range(10)]
        for i in range(20):
            await make_item(office, unit, title=f"冻结期间的事项{i}", ownerIds=people[:1])
        while time.monotonic() - frozen < OUTAGE_SECONDS:
            assert await _none_ready(platform)  # stays not ready while frozen
            await asyncio.sleep(0.5)
    finally:
        platform.nats.thaw()
    thawed = time.monotonic()
    figures = await wait_for(base.settled, timeout=60, interval=0.2)
    await wait_for(lambda: _ready(platform), timeout=30)
    r = report("nats-frozen-10s", figures, noticed, time.monotonic() - thawed)
    assert r.sent >= 2 * 31 and r.lost == 0 and r.duplicated == 0
    assert await _open_dead_letters(platform) == 0


async def test_postgres_stopped_for_ten_seconds_with_events_queued_in_every_consumer(
    platform: Platform, mirror: StreamMirror
) -> None:
    await wait_for(lambda: _ready(platform))
    await wait_for(lambda: quiet(platform), timeout=60, interval=0.2)
    await mirror.refresh()
    base = Baseline(platform, mirror)
    tasks, alerts, _, _ = generated_history(seed=11, units=4, people=40, items=30)
    relay = platform.apps["tasks"].state.relay
    assert relay.listening

    await platform.pg.stop_async()
    stopped = time.monotonic()
    try:
        # queued for every consumer while the database is away
        await publish(platform, [env for env, _ in tasks] + [env for env, _ in alerts])
        await wait_for(lambda: _none_ready(platform), timeout=OUTAGE_SECONDS)
        noticed = time.monotonic() - stopped
        while time.monotonic() - stopped < OUTAGE_SECONDS:
            assert await _none_ready(platform)
            await asyncio.sleep(0.5)
    finally:
        await platform.pg.start_async()
    started = time.monotonic()
    figures = await wait_for(base.settled, timeout=60, interval=0.2)
    await wait_for(lambda: _ready(platform), timeout=30)
    r = report("postgres-stopped-10s", figures, noticed, time.monotonic() - started)
    for service in figures:
        # every consumer the burst gives work (the public feed's evaluation-stream consumer
        # and the WeCom card consumer get none from item changes)
        per_consumer = [
            n
            for n in (len(mirror.sent_to([c], base.since)) for c in consumers(platform, service))
            if n
        ]
        assert len(per_consumer) >= 2 and min(per_consumer) >= 40, (service, per_consumer)
    assert r.lost == 0 and r.duplicated == 0
    assert await _open_dead_letters(platform) == 0
    for service in CONSUMING:
        assert await sql(platform, service, "SELECT count(*) FROM event_failures") == 0
    for name, app in platform.apps.items():
        assert app.state.supervisor.problems() == [], name  # nothing was restarted by hand

    # the relay listens again: a change is published at once, not at the 30 s poll
    await wait_for(lambda: _listening(relay), timeout=10)
    before = (await platform.apps["tasks"].state.js.stream_info("TASKS")).state.last_seq
    written = time.monotonic()
    await make_unit(platform.clients["tasks"])

    async def published() -> bool:
        info = await platform.apps["tasks"].state.js.stream_info("TASKS")
        return bool(info.state.last_seq > before)

    await wait_for(published, timeout=10)
    latency = time.monotonic() - written
    print(f"\npublish latency after PostgreSQL restart: {latency * 1000:.0f} ms")
    assert latency < 5.0  # the poll is 30 s


async def _listening(relay: Any) -> bool:
    return bool(relay.listening)


async def _ready(platform: Platform) -> bool:
    return set((await readiness(platform)).values()) == {200}


async def _none_ready(platform: Platform) -> bool:
    return set((await readiness(platform)).values()) == {503}


async def _open_dead_letters(platform: Platform) -> int:
    total = 0
    for service in CONSUMING:
        total += int(
            await sql(
                platform, service, "SELECT count(*) FROM dead_letters WHERE resolved_at IS NULL"
            )
        )
    return total
