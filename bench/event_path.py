"""Where the time of event → colour goes, segment by segment (BENCH_PATHS_BREAKDOWN=1).

The services run with ``EVENT_PATH_TIMING=1``: the alerts consumer logs, per task event,
the wall-clock time it got the message from its pull, began and committed the transaction
(projection, colour, history and outbox row) and acked it; the outbox relay logs, per row,
when its round began, claimed the row and had JetStream's ack for ``alerts.level.changed``
(logger ``ducha.event_path``, ADR 0020). The bench adds when it published the task event,
got its publish-ack and received the colour change. Every process is on one machine, so
their ``time.time()`` stamps are on one clock.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

# (segment, from stamp, to stamp): the chain from the task event's publish to the
# subscriber; "publish-ack" runs beside it (the consumer can have the message first)
SEGMENTS = [
    ("task event publish → JetStream ack", "published", "publish_acked"),
    ("publish → consumer has it (pull delivery)", "published", "received"),
    ("decode + pool acquire", "received", "acquired"),
    ("BEGIN", "acquired", "begun"),
    ("inbox, projection, colour, history, outbox row", "begun", "handled"),
    ("COMMIT", "handled", "committed"),
    ("commit → relay round begins", "committed", "round"),
    ("relay: pool, BEGIN, claim the row", "round", "claimed"),
    ("relay publish → JetStream ack", "claimed", "relay_published"),
    ("relay ack → subscriber has it", "relay_published", "subscriber"),
    ("total: publish → subscriber", "published", "subscriber"),
]
# beside the chain: the consumer's ack after its commit, the relay's mark after the publish
ASIDE = [
    ("consumer: commit → ack sent", "committed", "acked"),
    ("relay: publish-ack → row marked, COMMIT", "relay_published", "marked"),
]


def read_stamps(
    log_dir: Path,
    consumer: str = "alerts-tasks",
    subject: str = "alerts.level.changed",
) -> dict[str, dict[str, Any]]:
    """Per event key (``item:version``), the stamps of the alerts consumer of task events
    and of the relay publishing the colour change, from alerts' JSON logs (a relay of either
    alerts process may have claimed the row)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(log_dir.glob("alerts*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if '"ducha.event_path"' not in line:
                continue
            rec = json.loads(line)
            if rec["where"] == "consumer" and rec["consumer"] == consumer:
                entry = found.setdefault(rec["key"], {})
                entry.update(rec["stamps"])
                entry["consumer_pid"] = rec["pid"]
            elif rec["where"] == "relay" and rec["subject"] == subject:
                entry = found.setdefault(rec["key"], {})
                stamps = rec["stamps"]
                entry.update(
                    round=stamps["round"],
                    claimed=stamps["claimed"],
                    relay_published=stamps["published"],
                    marked=stamps["marked"],
                    relay_pid=rec["pid"],
                    relay_batch=rec["batch"],
                )
    return found


async def wait_for_stamps(
    log_dir: Path, keys: list[str], timeout: float = 10.0
) -> dict[str, dict[str, Any]]:
    """The stamps once every key has both halves (the relay logs after its commit, which
    can come after the subscriber already had the event), or what there is at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = read_stamps(log_dir)
        complete = all("acked" in found.get(k, {}) and "marked" in found.get(k, {}) for k in keys)
        if complete or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


def _pct(ordered: list[float], p: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 3)


def breakdown(trace: list[dict[str, Any]], stamps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """p50/p99 (ms) of each segment over the samples whose stamps are all there."""
    rows = []
    for sample in trace:
        got = stamps.get(sample["key"], {})
        merged = {**got, **sample, "subscriber": sample["colour_received"]}
        if all(k in merged for _, a, b in SEGMENTS + ASIDE for k in (a, b)):
            rows.append(merged)
    table: dict[str, Any] = {"samples": len(rows), "of": len(trace), "segments": {}}
    for name, a, b in SEGMENTS + ASIDE:
        ordered = sorted((r[b] - r[a]) * 1000 for r in rows)
        if ordered:
            table["segments"][name] = {"p50_ms": _pct(ordered, 50), "p99_ms": _pct(ordered, 99)}
    table["relay_in_consumer_process"] = sum(1 for r in rows if r["relay_pid"] == r["consumer_pid"])
    table["relay_batches_over_one"] = sum(1 for r in rows if r["relay_batch"] > 1)
    # the consumer's own relay is woken in-process; another process's relay by NOTIFY
    for way, same in (("in-process wake", True), ("NOTIFY wake", False)):
        chosen = [r for r in rows if (r["relay_pid"] == r["consumer_pid"]) is same]
        for name, a, b in (SEGMENTS[6], SEGMENTS[-1]):
            ordered = sorted((r[b] - r[a]) * 1000 for r in chosen)
            if ordered:
                table["segments"][f"{name} ({way}, {len(ordered)})"] = {
                    "p50_ms": _pct(ordered, 50),
                    "p99_ms": _pct(ordered, 99),
                }
    return table


def print_breakdown(table: dict[str, Any]) -> None:
    print(
        f"event → colour by segment ({table['samples']} of {table['of']} samples;"
        f" claimed by the consumer's own process' relay: {table['relay_in_consumer_process']})"
    )
    for name, fig in table["segments"].items():
        print(f"  {name:<58} p50 {fig['p50_ms']:>7.3f} ms   p99 {fig['p99_ms']:>7.3f} ms")


def main() -> None:
    """Only the event → colour figures with their breakdown, on a stack like bench_paths'
    (every service as an API and a worker process):
    ``PYTHONPATH=$PWD .venv/bin/python -m bench.event_path`` (EVENT_PATH_SAMPLES=200)."""
    import os

    from bench.bench_alerts import event_latency
    from bench.support import embedded_servers
    from services.core.settings import Settings
    from services.registry import SERVICE_NAMES
    from services.stack import Stack, migrate_all

    samples = int(os.environ.get("EVENT_PATH_SAMPLES", "200"))
    with embedded_servers() as (dsn, nats_url, root):
        migrate_all(dsn)
        settings = Settings(database_url=dsn, nats_url=nats_url, data_dir=root)
        stack = Stack(
            root,
            dsn,
            nats_url,
            settings.signing_secret(),
            extra_env={"LOG_LEVEL": "WARNING", "DEV_MODE": "0", "EVENT_PATH_TIMING": "1"},
            split_roles=True,
        )
        try:
            for name in SERVICE_NAMES:
                stack.start_service(name)
            stack.wait_ready(120)

            async def measure() -> dict[str, Any]:
                await event_latency(nats_url, samples_wanted=40)  # warm-up
                trace: list[dict[str, Any]] = []
                figures = await event_latency(nats_url, trace, samples_wanted=samples)
                stamps = await wait_for_stamps(root, [s["key"] for s in trace])
                figures["segments"] = breakdown(trace, stamps)
                return figures

            figures = asyncio.run(measure())
        finally:
            stack.stop()
    colour, ack = figures["event_to_colour"], figures["raw_jetstream_publish_ack"]
    print(
        f"event → colour p50 {colour['p50_ms']} ms, p99 {colour['p99_ms']} ms;"
        f" JetStream publish-ack p50 {ack['p50_ms']} ms, p99 {ack['p99_ms']} ms"
    )
    print_breakdown(figures["segments"])
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
