"""Durable delivery of notification rows over WeCom (robot, app) and email.

One round: rows of closed items are SKIPPED, of suspended items HELD (and PENDING again
on resume); then, per recipient (channel and address), lock its due rows
(``FOR UPDATE SKIP LOCKED``), merge those that fit into one digest, record that wire
message and mark its rows SENDING under a short lease in one commit, send, and record
the outcome: SENT; PENDING after a backoff; DEAD with the last
error once a retry cannot help, the address is invalid, or the attempts are used up;
SKIPPED when the channel is not configured. Rows cut from a digest stay PENDING for
the next one. Every exception from a channel is an attempt. A wire message whose
sender died (lease expired) is sent again with the same text, until its attempts run out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

import asyncpg
import httpx
from prometheus_client import Counter

from services.alerts.cards.domain import reminder_card, resolve_links
from services.alerts.delivery import store
from services.alerts.delivery.channels import (
    ChannelError,
    Mailer,
    RateLimiter,
    WeComApp,
    WeComRobot,
)
from services.alerts.delivery.domain import backoff, same_link_run
from services.alerts.reminders.messages import fit_digest
from services.core.addresses import address_problem
from services.core.settings import Settings

log = logging.getLogger(__name__)

DELIVERIES = Counter(
    "ducha_notification_deliveries_total", "Notification sends", ["channel", "outcome"]
)
DELIVERY_JOB = "notification-delivery"
WECOM_TEXT_BYTES = 2048  # WeCom text messages (robot and application) take 2,048 bytes
GROUP_ROWS = 100  # rows locked for one recipient's digest at most


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
        """Deliver one round (each recipient's due rows as one message, and every wire
        message whose sender died); returns the number of rows handled."""
        s = self.settings
        async with pool.acquire() as conn, conn.transaction():
            await store.skip_for_closed_items(conn)
            await store.hold_for_suspended_items(conn)
            await store.release_for_resumed_items(conn)
            await store.fail_stuck(conn, s.notification_max_attempts)
            await store.release_unrecorded(conn)
            interrupted = await store.expired_deliveries(conn, s.delivery_batch)
            groups = await store.due_groups(conn, s.delivery_batch)
        if not interrupted and not groups:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(timeout=s.channel_timeout_seconds) as client:
            if self.app is not None:
                self.app.client = client

            async def guarded(work: Callable[[], Awaitable[int]]) -> int:
                async with gate:
                    try:
                        return await work()
                    except Exception:  # a database hiccup: the lease brings the rows back
                        log.exception("delivery round step failed")
                        return 0

            handled = await asyncio.gather(
                *(guarded(partial(self._resend, pool, client, d)) for d in interrupted),
                *(
                    guarded(partial(self._deliver, pool, client, g["channel"], g["address"]))
                    for g in groups
                ),
            )
        return sum(handled)

    async def run_until_idle(self, pool: asyncpg.Pool) -> int:
        total = 0
        while n := await self.run_once(pool):
            total += n
        return total

    async def _deliver(
        self, pool: asyncpg.Pool, client: httpx.AsyncClient, channel: str, address: str | None
    ) -> int:
        """One recipient: lock its due rows, record the wire message, send it, record the outcome.

        Claim, send and mark happen within one short lease; rows that
        do not fit in the message stay PENDING for the next one.
        """
        s = self.settings
        async with pool.acquire() as conn:
            why = self._not_configured(channel)
            if why is None and (wait := self._limit(channel, address or "")) > 0:
                n = await store.defer_group(conn, channel, address, wait)
                DELIVERIES.labels(channel, "throttled").inc(n)
                return n
            async with conn.transaction():
                rows = await store.lock_group(conn, channel, address, GROUP_ROWS)
                if not rows:
                    return 0
                ids = [r["id"] for r in rows]
                if why:
                    self._warn_once(channel, why)
                    await store.mark_skipped(conn, ids, why)
                    DELIVERIES.labels(channel, "skipped").inc(len(ids))
                    return len(ids)
                if problem := address_problem(channel, address):
                    await store.mark_invalid(conn, ids, f"接收地址无效: {problem}")
                    DELIVERIES.labels(channel, "invalid").inc(len(ids))
                    return len(ids)
                rows = rows[: same_link_run([r["link"] for r in rows])]
                limit = None if channel == "EMAIL" else WECOM_TEXT_BYTES
                content, carried = fit_digest([r["body"] for r in rows], limit)
                rows = rows[:carried]  # the rest stay PENDING: the next digest carries them
                mentions: list[str] = []
                for r in rows:
                    mentions += [m for m in r["mentions"] if m not in mentions]
                subject = rows[0]["title"] if len(rows) == 1 else f"督查提醒汇总({len(rows)}条)"
                link = rows[0]["link"]
                card = (
                    reminder_card(subject, content, link)
                    if channel == "WECOM_APP" and link
                    else None
                )
                delivery_id = await store.insert_delivery(
                    conn, channel, address, subject, content, mentions, card
                )
                started = await store.start_sending(
                    conn, [r["id"] for r in rows], delivery_id, s.delivery_lease_seconds
                )
                wire = await store.get_delivery(conn, delivery_id)
        # committed: the wire message is on record before it leaves (the connection goes
        # back to the pool meanwhile: a slow channel must not starve the service's queries)
        assert wire is not None
        return await self._send_recorded(pool, client, wire, started)

    async def _resend(self, pool: asyncpg.Pool, client: httpx.AsyncClient, delivery_id: int) -> int:
        """A wire message whose sender died before recording the outcome: send the same text
        again (WeCom's duplicate check and the stable Message-ID let a repeat be recognised)."""
        async with pool.acquire() as conn:
            async with conn.transaction():
                started = await store.reclaim_delivery(
                    conn, delivery_id, self.settings.delivery_lease_seconds
                )
                if not started:
                    return 0
                wire = await store.get_delivery(conn, delivery_id)
            assert wire is not None
            why = self._not_configured(wire["channel"])
            if why:
                self._warn_once(wire["channel"], why)
                await store.mark_skipped(conn, [r["id"] for r in started], why)
                return len(started)
        self._limit(wire["channel"], wire["address"] or "")  # counts in the window
        return await self._send_recorded(pool, client, wire, started)

    async def _send_recorded(
        self,
        pool: asyncpg.Pool,
        client: httpx.AsyncClient,
        wire: asyncpg.Record,
        started: Sequence[asyncpg.Record],
    ) -> int:
        """Send a recorded wire message; every exception counts as the rows' attempt."""
        s = self.settings
        channel = wire["channel"]
        ids = [r["id"] for r in started]
        attempts = max(r["attempts"] for r in started)
        try:
            if problem := address_problem(channel, wire["address"]):
                raise ChannelError(f"接收地址无效: {problem}", permanent=True)
            await asyncio.wait_for(
                self._send(client, wire), timeout=max(s.delivery_lease_seconds / 2, 1.0)
            )
        except Exception as e:
            permanent = isinstance(e, ChannelError) and e.permanent
            retry_after = e.retry_after if isinstance(e, ChannelError) else None
            retry_in = (
                None
                if permanent
                else retry_after
                or backoff(
                    attempts, s.notification_backoff_seconds, s.notification_backoff_max_seconds
                )
            )
            error = str(e) if isinstance(e, ChannelError) else f"{type(e).__name__}: {e}"
            if isinstance(e, ChannelError):
                log.warning("delivery over %s failed (attempt %d): %s", channel, attempts, e)
            else:
                log.exception("delivery over %s raised (attempt %d)", channel, attempts)
            async with pool.acquire() as conn:
                await store.mark_failed(conn, ids, error, retry_in, s.notification_max_attempts)
            DELIVERIES.labels(channel, "dead" if permanent else "failed").inc(len(ids))
            return len(ids)
        async with pool.acquire() as conn:
            await store.mark_sent(conn, ids)
        DELIVERIES.labels(channel, "sent").inc(len(ids))
        return len(ids)

    def _warn_once(self, channel: str, why: str) -> None:
        if channel not in self._warned:
            log.warning("channel %s skipped: %s", channel, why)
            self._warned.add(channel)

    def _limit(self, channel: str, address: str) -> float:
        if channel == "WECOM_ROBOT":
            return self.robot_limit.acquire(address)
        if channel == "WECOM_APP":
            return self.member_limit.acquire(address)
        return 0.0

    async def _send(self, client: httpx.AsyncClient, wire: asyncpg.Record) -> None:
        channel, address, content = wire["channel"], wire["address"], wire["content"]
        if channel == "WECOM_ROBOT":
            robot = WeComRobot(
                client, self.settings.wecom_robot_base, self.settings.wecom_robot_markdown
            )
            await robot.send(address, content, wire["mentions"])
        elif channel == "WECOM_APP" and wire["card"]:
            assert self.app is not None
            card = resolve_links(wire["card"], self.settings.mobile_base_url)
            await self.app.send_card([address], card, duplicate_check=True)
        elif channel == "WECOM_APP":
            assert self.app is not None
            await self.app.send([address], content, duplicate_check=True)
        elif channel == "EMAIL":
            assert self.mailer is not None
            await self.mailer.send(
                address, wire["subject"], content, message_id=self._message_id(wire["id"])
            )
        else:
            raise ChannelError(f"unknown channel {channel}", permanent=True)

    def _message_id(self, delivery_id: int) -> str:
        """The same Message-ID for every send of one wire message (a repeat is recognisable)."""
        domain = self.settings.smtp_sender.rpartition("@")[2] or "ducha.local"
        return f"<ducha-delivery-{delivery_id}@{domain}>"
