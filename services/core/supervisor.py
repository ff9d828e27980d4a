"""Supervised background work: the relay, every consumer and every job (ADR 0015).

Each worker is a coroutine given a ``Heartbeat``. It calls ``beat(within)`` whenever it
makes progress, promising the next beat within that many seconds. The supervisor
restarts a worker that raises or returns, with exponential backoff (tenacity), counts
the restarts, and reports a worker as a readiness problem when it is dead (waiting to
be restarted) or stuck (its promised beat is overdue).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats.errors
from prometheus_client import Counter, Gauge
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

log = logging.getLogger(__name__)

WORKER_RESTARTS = Counter(
    "ducha_worker_restarts_total", "Background workers restarted after a crash", ["worker"]
)
WORKER_HEALTHY = Gauge(
    "ducha_worker_healthy", "1 when a background worker runs and beats in time", ["worker"]
)


def is_infrastructure_error(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database or NATS is unavailable.

    Such a failure says nothing about the event being handled: it is retried for as long
    as the outage lasts and never counts toward dead-lettering.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            OSError
            | TimeoutError
            | asyncpg.PostgresConnectionError
            | asyncpg.exceptions.OperatorInterventionError
            | asyncpg.exceptions.InsufficientResourcesError
            | nats.errors.Error,
        ):
            return True
        if (
            isinstance(current, asyncpg.InterfaceError)
            and not isinstance(current, ValueError)
            and ("closed" in str(current) or "closing" in str(current))
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


class WorkerExited(Exception):
    """A worker's coroutine returned; workers are meant to run until cancelled."""


@dataclass
class Heartbeat:
    """What a worker tells its supervisor: I am alive, and I will be back within N s."""

    name: str
    deadline: float = field(default_factory=lambda: time.monotonic() + 60.0)
    running: bool = False
    restarts: int = 0
    last_error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def beat(self, within: float) -> None:
        self.deadline = time.monotonic() + within

    @property
    def stuck(self) -> bool:
        return time.monotonic() > self.deadline

    def problem(self) -> str | None:
        if not self.running:
            return (
                f"{self.name}: not running (restarts {self.restarts}; last error {self.last_error})"
            )
        if self.stuck:
            late = time.monotonic() - self.deadline
            return f"{self.name}: stuck (no progress for {late:.0f}s past its promise)"
        return None


Work = Callable[[Heartbeat], Awaitable[None]]


class Supervisor:
    """Runs named workers, restarting them with backoff; answers which are unhealthy."""

    def __init__(
        self, start_grace: float = 60.0, backoff_initial: float = 0.5, backoff_max: float = 30.0
    ) -> None:
        self.start_grace = start_grace
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.workers: dict[str, Heartbeat] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self._work: dict[str, Work] = {}

    def add(self, name: str, work: Work) -> Heartbeat:
        if name in self.workers:
            raise ValueError(f"worker {name!r} added twice")
        hb = Heartbeat(name)
        self.workers[name] = hb
        self._work[name] = work
        return hb

    def start(self) -> None:
        for name, hb in self.workers.items():
            hb.running = True  # about to run; only a crash or an exit says otherwise
            hb.beat(self.start_grace)
            self.tasks.append(asyncio.create_task(self._supervise(name), name=name))

    async def stop(self, timeout: float = 10.0) -> None:
        """Cancel every worker and wait for them, at most ``timeout`` seconds (a worker
        that swallows its cancellation must not hold the service's shutdown)."""
        for t in self.tasks:
            t.cancel()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=timeout)
            for t in pending:
                log.warning("worker %s did not stop within %ss", t.get_name(), timeout)
        self.tasks.clear()

    def problems(self) -> list[str]:
        found = [p for hb in self.workers.values() if (p := hb.problem())]
        for hb in self.workers.values():
            WORKER_HEALTHY.labels(hb.name).set(0 if hb.problem() else 1)
        return found

    def _on_crash(self, hb: Heartbeat) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            hb.running = False
            hb.restarts += 1
            WORKER_RESTARTS.labels(hb.name).inc()
            error = state.outcome.exception() if state.outcome else None
            hb.last_error = repr(error)[:300]
            wait = state.next_action.sleep if state.next_action else 0.0
            log.error(
                "worker %s crashed (restart %d in %.1fs): %r", hb.name, hb.restarts, wait, error
            )

        return before_sleep

    async def _supervise(self, name: str) -> None:
        hb = self.workers[name]
        work = self._work[name]
        retrying = AsyncRetrying(
            wait=wait_exponential_jitter(
                multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_initial
            ),
            retry=retry_if_exception_type(Exception),
            before_sleep=self._on_crash(hb),
            reraise=True,
        )
        with contextlib.suppress(asyncio.CancelledError):
            async for attempt in retrying:
                with attempt:
                    hb.running = True
                    hb.beat(self.start_grace)
                    try:
                        await work(hb)
                    finally:
                        hb.running = False
                    raise WorkerExited(name)
