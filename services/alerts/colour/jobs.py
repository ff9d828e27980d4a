"""Time-driven work of the colour engine.

The sweep: re-evaluate open items as time passes, in keyset batches.

By default only the items that are due: each evaluation stores ``recheck_on``, the
earliest day the item's colour could change without an event (see
``colour.domain.recheck_on``; new items, migrated items and items under changed rule
settings are due at once). ``full=True`` re-evaluates every open item.

Each batch is one transaction: read a page (index ``items_due`` or ``items_open``),
apply the pure colour rule in Python, write the changed colours with one set-based
UPDATE (skipping rows a consumer changed since they were read) plus one history
statement and the outbox events, and move the recheck day of the unchanged ones with
one more UPDATE (only where it moved). Run it through ``run_exclusive`` so only one
replica sweeps at a time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.alerts.colour import store
from services.alerts.colour.domain import evaluate, recheck_on
from services.alerts.colour.service import NEVER, facts_of, record_changes
from services.alerts.rules.service import current_rules
from services.core import clock
from services.core.clock import local_date
from services.core.jobs import Job
from services.core.settings import Settings

log = logging.getLogger(__name__)

SWEEP_JOB = "alerts-sweep"


@dataclass
class SweepResult:
    items: int = 0
    changed: int = 0
    seconds: float = 0.0


async def sweep(
    pool: asyncpg.Pool, at: datetime, batch_size: int = 5000, full: bool = False
) -> SweepResult:
    started = time.perf_counter()
    today = local_date(at)
    result = SweepResult()
    async with pool.acquire() as conn:
        per_source, default = await current_rules(conn)
    after_id = UUID(int=0)
    after_due: tuple[date, UUID] = (date.min, UUID(int=0))
    while True:
        async with pool.acquire() as conn, conn.transaction():
            if full:
                rows = await store.list_open_items_after(conn, after_id, batch_size)
            else:
                rows = await store.list_due_items_after(conn, today, after_due, batch_size)
            if not rows:
                break
            changes, rechecks = [], []
            for r in rows:
                rules = per_source.get(r["source"], default)
                facts = facts_of(r)
                ev = evaluate(facts, today, rules)
                level = ev.level.value if ev.level else None
                next_day = recheck_on(facts, today, rules, ev) or NEVER
                if level != r["level"]:
                    changes.append(
                        (
                            r["id"],
                            level,
                            ev.reason,
                            rules.version,
                            r["version"],
                            r["level_version"],
                            ev.planned_percent,
                            ev.reported_percent,
                            next_day,
                        )
                    )
                elif next_day != r["recheck_on"]:
                    rechecks.append((r["id"], next_day, r["version"]))
            changed = await store.apply_level_changes(conn, changes, at)
            if changed:
                await record_changes(conn, changed, at)
            await store.set_recheck_days(conn, rechecks)
            result.items += len(rows)
            result.changed += len(changed)
            after_id = rows[-1]["id"]
            if not full:
                after_due = (rows[-1]["recheck_on"], rows[-1]["id"])
    result.seconds = time.perf_counter() - started
    log.info(
        "sweep done (%s): %d items, %d changed, %.1fs",
        "full" if full else "due",
        result.items,
        result.changed,
        result.seconds,
    )
    return result


def jobs(settings: Settings) -> list[Job]:
    async def run_sweep(state: Any) -> None:
        await sweep(state.pool, clock.now())

    return [Job(SWEEP_JOB, lambda: settings.sweep_interval_seconds, run_sweep)]
