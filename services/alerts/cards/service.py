"""WeCom cards: plan one per person when tasks assigns an item or issues a notice, send
them durably through the WeCom application channel, and update a card once tasks has
handled its button press (tasks.wecom.card_acted)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from services.alerts.cards import domain, store
from services.alerts.delivery.channels import ChannelError, WeComApp
from services.contracts import tasks as tasks_events
from services.core.settings import Settings

log = logging.getLogger(__name__)

CARDS_JOB = "alerts-wecom-cards"


def _item(s: tasks_events.ItemSnapshot) -> dict[str, Any]:
    return {"id": s.id, "code": s.code, "title": s.title, "deadline": s.deadline.isoformat()}


async def plan_assignment_cards(
    conn: asyncpg.Connection, event: tasks_events.ItemEvent, version: int
) -> int:
    """签收/退回 cards to the unit supervisors of every newly assigned unit."""
    if isinstance(event, tasks_events.ItemAssigned):
        units = [str(event.detail.get("unit_id", ""))]
    else:
        units = [a.unit_id for a in event.item.assignments if a.state == "ASSIGNED"]
    unit_ids = [UUID(u) for u in units if u]
    if not unit_ids:
        return 0
    item = _item(event.item)
    rows = []
    for p in await store.supervisors_of(conn, unit_ids):
        unit = str(p["unit_id"])
        task = domain.task_id("assign", item["id"], unit, str(p["id"]), str(version))
        card = domain.assignment_card(task, item, unit)
        rows.append((task, "ASSIGNMENT", p["id"], p["wecom_user_id"], UUID(item["id"]), card))
    await store.insert_cards(conn, rows)
    return len(rows)


async def plan_notice_cards(conn: asyncpg.Connection, event: tasks_events.ItemEvent) -> int:
    """已阅 cards to every recipient of a supervision notice."""
    d = event.detail
    notice_id = str(d.get("notice_id", ""))
    ids = [UUID(r["person_id"]) for r in d.get("recipients", []) if r.get("person_id")]
    if not notice_id or not ids:
        return 0
    item = _item(event.item)
    rows = []
    for p in await store.people_with_wecom(conn, ids):
        task = domain.task_id("notice", notice_id, str(p["id"]))
        card = domain.notice_card(
            task, item, notice_id, str(d.get("code", "")), d.get("response_deadline")
        )
        rows.append((task, "NOTICE", p["id"], p["wecom_user_id"], UUID(item["id"]), card))
    await store.insert_cards(conn, rows)
    return len(rows)


async def on_card_acted(conn: asyncpg.Connection, event: tasks_events.WeComCardActed) -> None:
    if not event.response_code:
        return
    if not await store.record_action(conn, event.task_id, event.response_code, event.message):
        log.warning("card %s acted on but not sent by this service", event.task_id)


class CardSender:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=settings.channel_timeout_seconds)
        self.app: WeComApp | None = None
        if settings.wecom_corp_id and settings.wecom_corp_secret and settings.wecom_agent_id:
            self.app = WeComApp(
                self.client,
                settings.wecom_api_base,
                settings.wecom_corp_id,
                settings.wecom_corp_secret,
                settings.wecom_agent_id,
            )

    async def aclose(self) -> None:
        await self.client.aclose()

    def _next(self, attempts: int, permanent: bool, now: datetime) -> datetime | None:
        if permanent or attempts + 1 >= self.settings.notification_max_attempts:
            return None
        delay = domain.retry_delay(
            attempts + 1,
            self.settings.notification_backoff_seconds,
            self.settings.notification_backoff_max_seconds,
        )
        return now + timedelta(seconds=delay)

    async def run_once(self, pool: asyncpg.Pool) -> int:
        now = datetime.now(UTC)
        async with pool.acquire() as conn, conn.transaction():
            if self.app is None:
                skipped = await store.mark_skipped(conn, "企业微信应用未配置")
                if skipped:
                    log.warning("WeCom app not configured: %d cards skipped", skipped)
                return 0
            done = 0
            for row in await store.claim_sends(conn, now, self.settings.delivery_batch):
                try:
                    card = domain.resolve_links(row["card"], self.settings.mobile_base_url)
                    await self.app.send_card([row["user_id"]], card)
                    await store.mark_sent(conn, row["task_id"], now)
                except ChannelError as e:
                    nxt = self._next(row["attempts"], e.permanent, now)
                    await store.mark_send_failed(conn, row["task_id"], str(e), nxt)
                done += 1
            for row in await store.claim_updates(conn, self.settings.delivery_batch):
                try:
                    await self.app.update_card(
                        [row["user_id"]], row["response_code"], row["acted_text"]
                    )
                    await store.mark_updated(conn, row["task_id"], "DONE", None)
                except ChannelError as e:
                    nxt = self._next(row["update_attempts"], e.permanent, now)
                    await store.mark_updated(
                        conn, row["task_id"], "PENDING" if nxt else "DEAD", str(e)[:500]
                    )
                done += 1
            return done
