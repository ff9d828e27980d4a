"""The webhook dispatcher: sends due deliveries from the durable queue, signed per
Standard Webhooks, records every attempt, retries with backoff, then DEAD; disables
endpoints failing for too long and tells the office.

One replica runs it at a time (a named job under an advisory lock). A batch is one
transaction: rows are claimed FOR UPDATE SKIP LOCKED, sent concurrently, their
outcomes written, and committed; a crash mid-batch re-sends (at least once; receivers
dedupe on ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from prometheus_client import Counter, Gauge, Histogram

from services.alerts.integrations import domain, store
from services.alerts.integrations.egress import EgressRefused, GuardedTransport, post_capped
from services.alerts.integrations.signing import headers
from services.alerts.reminders import store as reminder_store
from services.core.settings import Settings

log = logging.getLogger(__name__)

DISPATCH_JOB = "alerts-webhooks"

WEBHOOK_ATTEMPTS = Counter(
    "ducha_webhook_attempts_total", "Webhook delivery attempts", ["subscription", "outcome"]
)
WEBHOOK_SECONDS = Histogram(
    "ducha_webhook_latency_seconds", "Webhook request latency", ["subscription"]
)
WEBHOOK_LAG = Gauge(
    "ducha_webhook_lag_seconds", "Age of the oldest pending delivery", ["subscription"]
)


def wall_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.transport = transport or GuardedTransport(
            domain.parse_allow_list(settings.webhook_allowed_hosts),
            settings.webhook_egress_proxy or None,
        )
        self.client = httpx.AsyncClient(
            transport=self.transport,
            timeout=httpx.Timeout(settings.webhook_timeout_seconds),
            follow_redirects=False,
        )
        self._sem = asyncio.Semaphore(max(1, settings.webhook_concurrency))

    async def aclose(self) -> None:
        await self.client.aclose()

    def _keys(self, row: asyncpg.Record, now: datetime) -> list[str]:
        keys = [row["secret"]]
        prev, until = row["previous_secret"], row["previous_expires_at"]
        if prev and until and until > now:
            keys.append(prev)
        return keys

    async def _send(self, row: asyncpg.Record, now: datetime) -> tuple[int | None, int, str | None]:
        """(status, latency ms, error) of one POST."""
        body = json.dumps(row["event"], ensure_ascii=False, separators=(",", ":")).encode()
        hdrs = headers(str(row["event_id"]), int(time.time()), body, self._keys(row, now))
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        async with self._sem:
            try:
                status, _ = await post_capped(
                    self.client, row["url"], body, hdrs, self.settings.webhook_max_response_bytes
                )
            except EgressRefused as e:
                error = f"refused: {e}"
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}"[:300]
        latency = int((time.perf_counter() - started) * 1000)
        if status is not None and not 200 <= status < 300:
            error = f"HTTP {status}"
        return status, latency, error

    async def run_once(self, pool: asyncpg.Pool) -> int:
        now = wall_now()
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.claim_due(conn, now, self.settings.webhook_batch)
            if not rows:
                return 0
            results = await asyncio.gather(*(self._send(r, now) for r in rows))
            done_at = wall_now()
            for row, (status, latency, error) in zip(rows, results, strict=True):
                sub = str(row["subscription_id"])
                WEBHOOK_SECONDS.labels(sub).observe(latency / 1000)
                await store.record_attempt(
                    conn, row["id"], row["subscription_id"], done_at, status, latency, error
                )
                if error is None and status is not None:
                    await store.mark_delivered(
                        conn, row["id"], row["subscription_id"], status, done_at
                    )
                    WEBHOOK_ATTEMPTS.labels(sub, "delivered").inc()
                    continue
                delay = domain.next_retry(row["attempts"] + 1, self.settings.webhook_backoff_scale)
                next_at = done_at + delay if delay is not None else None
                await store.mark_failed(
                    conn, row["id"], row["subscription_id"], status, error or "", done_at, next_at
                )
                WEBHOOK_ATTEMPTS.labels(sub, "failed" if next_at else "dead").inc()
            return len(rows)

    async def run_until_idle(self, pool: asyncpg.Pool, max_rounds: int = 50) -> int:
        total = 0
        for _ in range(max_rounds):
            n = await self.run_once(pool)
            total += n
            if n == 0:
                break
        await self.disable_failing(pool, wall_now())
        await self.observe_lag(pool)
        return total

    async def disable_failing(self, pool: asyncpg.Pool, now: datetime) -> list[str]:
        """Disable endpoints failing since longer than the limit; an inbox note to the office."""
        limit = timedelta(hours=self.settings.webhook_disable_after_hours)
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.failing_too_long(conn, now - limit)
            if not rows:
                return []
            office = await store.office_people(conn)
            notes: list[tuple[Any, ...]] = []
            for r in rows:
                await store.set_subscription_state(
                    conn, r["id"], "DISABLED", "连续失败超过3天，已自动停用"
                )
                body = (
                    f"【系统对接】{r['client_name']} 的推送地址 {r['url']} 连续投递失败已超过"
                    f"{self.settings.webhook_disable_after_hours:g}小时，已自动停用。修复后请重新启用并按需补发。"
                )
                for person in office:
                    notes.append(
                        (
                            f"webhook-disabled:{r['id']}:{now.date()}:{person}",
                            f"webhook-disabled:{r['id']}:{now.date()}",
                            "WEBHOOK_DISABLED",
                            "INBOX",
                            None,
                            person,
                            None,
                            None,
                            [],
                            "推送地址已自动停用",
                            body,
                            "SENT",
                            now,
                        )
                    )
            await reminder_store.insert_notifications(conn, notes)
            log.warning("disabled %d failing webhook endpoints", len(rows))
            return [str(r["id"]) for r in rows]

    async def observe_lag(self, pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            subs = await store.list_subscriptions(conn, None)
            stats = await store.subscription_stats(conn, [s["id"] for s in subs], wall_now())
        for s in subs:
            st = stats.get(s["id"])
            WEBHOOK_LAG.labels(str(s["id"])).set(float(st["lag_seconds"]) if st else 0.0)
