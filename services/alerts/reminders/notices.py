"""Supervision notices nobody acknowledged (督查通知单签阅): kept from tasks events, and
swept with the other time-driven reminders. A recipient who has not acknowledged is
reminded after one working day; after three the item's responsible leader and the
heads of its units hear of it (rules: reminders.domain.notice_reminders; the thresholds
are the rule set's, rules.service.reminder_rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.alerts.reminders import store
from services.alerts.reminders.domain import Due, ItemPeople, ItemView, Kind, notice_reminders
from services.alerts.reminders.service import item_view, load_directory, plan
from services.alerts.rules import service as rules_service
from services.contracts import tasks as ev
from services.core.calendar import workdays_between
from services.core.clock import local_date
from services.core.events import Envelope, EventContract


async def on_notice_issued(conn: asyncpg.Connection, env: Envelope, event: EventContract) -> None:
    assert isinstance(event, ev.ItemNoticeIssued)
    d = event.detail
    await store.add_notice_recipients(
        conn,
        [
            (
                UUID(d["notice_id"]),
                UUID(r["person_id"]),
                UUID(event.item.id),
                d["code"],
                env.occurred_at,
                date.fromisoformat(d["response_deadline"]),
            )
            for r in d.get("recipients", [])
        ],
    )


async def on_notice_acknowledged(
    conn: asyncpg.Connection, env: Envelope, event: EventContract
) -> None:
    assert isinstance(event, ev.NoticeAcknowledged)
    await store.acknowledge_notice(
        conn, UUID(event.notice_id), UUID(event.person_id), event.acknowledged_at
    )


async def scan_notices(pool: asyncpg.Pool, at: datetime) -> int:
    """Plan the notice reminders due today (each reason once: reminders.service.plan)."""
    today = local_date(at)
    written = 0
    async with pool.acquire() as conn:
        rows = await store.list_unacknowledged_notices(conn, at)
        if not rows:
            return 0
        rules = await rules_service.reminder_rules(conn)
        work: list[tuple[ItemView, list[Due]]] = []
        views: dict[UUID, ItemView | None] = {}
        for r in rows:
            item_id = r["item_id"]
            if item_id not in views:
                found = await store.get_item(conn, item_id)
                if found is None or found["state"] in store.CLOSED_STATES:
                    views[item_id] = None
                    continue
                views[item_id] = item_view(found)
            view = views[item_id]
            if view is None:
                continue
            lead = view.people.unit_ids[0] if view.people.unit_ids else ""
            params = {
                "code": r["code"],
                "response_deadline": r["response_deadline"],
                "waited": 0,
                "unit_id": lead,
            }
            issued_on = local_date(r["issued_at"])
            for kind, key in notice_reminders(
                str(r["notice_id"]),
                str(r["person_id"]),
                issued_on,
                today,
                rules.notice_remind_workdays,
                rules.notice_escalate_workdays,
            ):
                if kind is Kind.NOTICE_UNACKED:
                    people = ItemPeople((), None, (str(r["person_id"]),))
                else:
                    people = replace(view.people, owner_ids=())
                waited = {**params, "waited": workdays_between(issued_on, today)}
                work.append((replace(view, people=people), [Due(kind, key, None, waited)]))
        if not work:
            return 0
        seen = await store.reasons_seen(conn, [d.reason_key for _, dues in work for d in dues])
        todo = [(v, dues) for v, dues in work if dues[0].reason_key not in seen]
        if not todo:
            return 0
        units = tuple(dict.fromkeys(u for v in views.values() if v for u in v.people.unit_ids))
        persons = tuple(
            dict.fromkeys(
                p
                for v, _ in todo
                for p in (*v.people.owner_ids, v.people.responsible_leader_id)
                if p
            )
        )
        everyone = replace(todo[0][0], people=ItemPeople(units, None, persons))
        directory = await load_directory(conn, [everyone])
        async with conn.transaction():
            written += await plan(conn, todo, today, at, directory)
    return written
