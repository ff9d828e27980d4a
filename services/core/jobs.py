"""Time-driven work: named periodic jobs, at most one replica running each at a time."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from prometheus_client import Counter, Histogram

from services.core.supervisor import Heartbeat

log = logging.getLogger(__name__)

JOB_RUNS = Counter("ducha_job_runs_total", "Periodic job runs", ["job", "outcome"])
JOB_SECONDS = Histogram("ducha_job_seconds", "Periodic job duration", ["job"])


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"job:{name}".encode()).digest()[:8], "big", signed=True)


@dataclass
class Job:
    name: str
    interval: Callable[[], float]
    run: Callable[[Any], Awaitable[Any]]


async def run_exclusive(pool: asyncpg.Pool, name: str, fn: Callable[[], Awaitable[Any]]) -> bool:
    """Run ``fn`` if no other replica holds the job's advisory lock; False if skipped."""
    async with pool.acquire() as conn:
        got = await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(name))
        if not got:
            JOB_RUNS.labels(name, "skipped").inc()
            return False
        try:
            with JOB_SECONDS.labels(name).time():
                await fn()
            JOB_RUNS.labels(name, "ok").inc()
            return True
        finally:
            try:
                await conn.execute("SELECT pg_advisory_unlock($1)", lock_key(name))
            except BaseException:
                # the pool does not reset sessions (core.db): a lock not released here must
                # not go back to the pool with its connection
                conn.terminate()
                raise


async def run_periodically(
    pool: asyncpg.Pool,
    job: Job,
    state: Any,
    hb: Heartbeat | None = None,
    stuck_after: float = 600.0,
) -> None:
    """Run the job, then sleep its interval; forever. A run may take ``stuck_after`` s."""
    hb = hb or Heartbeat(job.name)
    while True:
        hb.beat(stuck_after)
        try:
            await run_exclusive(pool, job.name, lambda: job.run(state))
        except asyncio.CancelledError:
            raise
        except Exception:
            JOB_RUNS.labels(job.name, "error").inc()
            log.exception("job %s failed", job.name)
        interval = job.interval()
        hb.beat(interval + stuck_after)
        await asyncio.sleep(interval)
