"""Durable delivery of notification rows over WeCom (robot, app) and email.

One run: claim due rows (``FOR UPDATE SKIP LOCKED``, state SENDING with a lease, so a
replica that dies mid-way leaves rows another run picks up after the lease), group
them by channel and address so a burst to one robot or one person becomes a single
digest message, send each group within the channel's rate limit, and record the
outcome: SENT; PENDING again after a backoff; DEAD with the last error once a retry
cannot help or the attempts are used up; SKIPPED when the channel is not configured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

import asyncpg
import httpx
from prometheus_client import Counter

from services.alerts.delivery import store
from services.alerts.delivery.channels import (
    ChannelError,
    Mailer,
    RateLimiter,
    WeComApp,
    WeComRobot,
)
from services.alerts.delivery.domain import backoff
from services.alerts.reminders.messages import digest
from services.core.settings import Settings

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "ducha_notification_deliveries_total", "Notification sends", ["channel", "outcome"]
)
DELIVERY_JOB = "notification-delivery"
WECOM_TEXT_BYTES = 2048  # WeCom text messages (robot and application) take 2,048 bytes


class Delivery:
    def __init__(
        self, settings: Settings, clock: Callable[[], float] = time.monotonic, concurrency: int = 8
    ) -> None:
        self.settings = settings
        self.robot_limit = RateLimiter(settings.wecom_robot_per_minute, 60.0, clock)
        self.member_limit = RateLimiter(settings.wecom_member_per_minute, 60.0, clock)
        self.mailer = (
            Mailer(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_sender,
                settings.smtp_user,
                settings.smtp_password,
                settings.smtp_starttls,
                settings.channel_timeout_seconds,
                use_ssl=settings.smtp_ssl,
            )
            if settings.smtp_host
            else None
        )
        self.app: WeComApp | None = None
        if settings.wecom_corp_id and settings.wecom_corp_secret and settings.wecom_agent_id:
            self.app = WeComApp(
                None,  # each run lends its client
                settings.wecom_api_base,
                settings.wecom_corp_id,
                settings.wecom_corp_secret,
                settings.wecom_agent_id,
            )
        self.concurrency = concurrency
        self._warned: set[str] = set()

    def _not_configured(self, channel: str) -> str | None:
        if channel == "WECOM_APP" and self.app is None:
            return "企业微信应用消息未配置 (WECOM_CORP_ID / WECOM_CORP_SECRET / WECOM_AGENT_ID)"
        if channel == "EMAIL" and self.mailer is None:
            return "邮件未配置 (SMTP_HOST)"
        if channel == "WECOM_ROBOT" and not self.settings.wecom_robot_base:
            return "企业微信群机器人未配置 (WECOM_ROBOT_BASE)"
        return None

    async def run_once(self, pool: asyncpg.Pool) -> int:
        """Claim and deliver one batch; returns the number of rows handled."""
        async with pool.acquire() as conn, conn.transaction():
            await store.skip_for_closed_items(conn)
            rows = await store.claim_due(
                conn, self.settings.delivery_batch, self.settings.delivery_lease_seconds
            )
        if not rows:
            return 0
        groups: dict[tuple[str, str], list[asyncpg.Record]] = {}
        for r in rows:
            groups.setdefault((r["channel"], r["address"] or ""), []).append(r)
        gate = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(timeout=self.settings.channel_timeout_seconds) as client:
            if self.app is not None:
                self.app.client = client

            async def one(key: tuple[str, str], group: list[asyncpg.Record]) -> None:
                async with gate:
                    await self._deliver(pool, client, key[0], key[1], group)

            await asyncio.gather(*(one(k, g) for k, g in groups.items()))
        return len(rows)

    async def run_until_idle(self, pool: asyncpg.Pool) -> int:
        total = 0
        while n := await self.run_once(pool):
            total += n
        return total

    async def _deliver(
        self,
        pool: asyncpg.Pool,
        client: httpx.AsyncClient,
        channel: str,
        address: str,
        group: Sequence[asyncpg.Record],
    ) -> None:
        ids = [r["id"] for r in group]
        why = self._not_configured(channel)
        if why:
            if channel not in self._warned:
                log.warning("channel %s skipped: %s", channel, why)
                self._warned.add(channel)
            async with pool.acquire() as conn:
                await store.mark_skipped(conn, ids, why)
            DELIVERIES.labels(channel, "skipped").inc(len(ids))
            return
        limit = None if channel == "EMAIL" else WECOM_TEXT_BYTES
        content = digest([r["body"] for r in group], limit)
        try:
            wait = self._limit(channel, address)
            if wait > 0:
                async with pool.acquire() as conn:
                    await store.mark_failed(
                        conn, ids, "本地限流,稍后发送", wait, 10**6, count_attempt=False
                    )
                DELIVERIES.labels(channel, "throttled").inc(len(ids))
                return
            await self._send(client, channel, address, group, content)
        except ChannelError as e:
            attempts = max(r["attempts"] for r in group)
            retry_in = (
                None
                if e.permanent
                else (
                    e.retry_after
                    or backoff(
                        attempts,
                        self.settings.notification_backoff_seconds,
                        self.settings.notification_backoff_max_seconds,
                    )
                )
            )
            log.warning("delivery over %s failed (attempt %d): %s", channel, attempts, e)
            async with pool.acquire() as conn:
                await store.mark_failed(
                    conn, ids, str(e), retry_in, self.settings.notification_max_attempts
                )
            DELIVERIES.labels(channel, "dead" if e.permanent else "failed").inc(len(ids))
            return
        async with pool.acquire() as conn:
            await store.mark_sent(conn, ids)
        DELIVERIES.labels(channel, "sent").inc(len(ids))

    def _limit(self, channel: str, address: str) -> float:
        if channel == "WECOM_ROBOT":
            return self.robot_limit.acquire(address)
        if channel == "WECOM_APP":
            return self.member_limit.acquire(address)
        return 0.0

    async def _send(
        self,
        client: httpx.AsyncClient,
        channel: str,
        address: str,
        group: Sequence[asyncpg.Record],
        content: str,
    ) -> None:
        if channel == "WECOM_ROBOT":
            mentions: list[str] = []
            for r in group:
                mentions += [m for m in r["mentions"] if m not in mentions]
            robot = WeComRobot(
                client, self.settings.wecom_robot_base, self.settings.wecom_robot_markdown
            )
            await robot.send(address, content, mentions)
        elif channel == "WECOM_APP":
            assert self.app is not None
            await self.app.send([address], content)
        elif channel == "EMAIL":
            assert self.mailer is not None
            subject = group[0]["title"] if len(group) == 1 else f"督查提醒汇总({len(group)}条)"
            await self.mailer.send(address, subject, content)
        else:
            raise ChannelError(f"unknown channel {channel}", permanent=True)
