"""Reminder use-cases: decide what is due, resolve recipients, write notification rows.

A reason (e.g. "deadline:<item>:<date>:3") is claimed in ``reminder_reasons`` in the
same transaction that writes its notification rows, and every row carries a dedupe
key "<reason>|<channel>|<recipient>" with a unique index: a reason is planned once,
however many replicas scan and however often they restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.alerts.cards.domain import report_link
from services.alerts.reminders import changes, messages, store
from services.alerts.reminders import domain as reminders
from services.alerts.reminders.domain import (
    Due,
    ItemPeople,
    ItemView,
    Kind,
    Person,
    UnitState,
    due_reasons,
)
from services.alerts.rules import service as rules_service
from services.contracts import tasks as ev
from services.contracts.alerts import LevelChanged
from services.core import clock
from services.core.clock import local_date
from services.core.settings import Settings

log = logging.getLogger(__name__)


def item_view(row: Mapping[str, Any]) -> ItemView:
    """An item projection row as the reminder rules see it."""
    unit_ids = tuple(str(u) for u in row["unit_ids"] or [row["lead_unit_id"]])
    units = tuple(
        UnitState(
            unit_id=str(u["unit_id"]),
            last_report_on=local_date(datetime.fromisoformat(u["last_report_at"]))
            if u.get("last_report_at")
            else None,
            done=bool(u.get("done")),
        )
        for u in row["units"] or []
    ) or tuple(UnitState(u, None, False) for u in unit_ids)  # no per-unit facts yet
    since = row["level_since"]
    return ItemView(
        id=str(row["id"]),
        code=row["code"],
        title=row["title"],
        start_date=row["start_date"],
        deadline=row["deadline"],
        reporting_cycle=row["reporting_cycle"],
        people=ItemPeople(
            unit_ids=unit_ids,
            responsible_leader_id=str(row["responsible_leader_id"])
            if row["responsible_leader_id"]
            else None,
            owner_ids=tuple(str(o) for o in row["owner_ids"] or []),
        ),
        units=units,
        level=row["level"],
        red_since=local_date(since) if row["level"] == "RED" and since else None,
    )


def compose(
    due: Due,
    item: ItemView,
    unit_names: Mapping[str, str],
    today: date,
    templates: messages.Templates = messages.DEFAULT_TEMPLATES,
) -> messages.Message:
    """The text of one due reminder, from the templates in force (the rule set's)."""
    t = templates
    text = messages.ItemText(
        item.code,
        item.title,
        item.deadline,
        unit_names.get(item.people.unit_ids[0], "") if item.people.unit_ids else "",
    )
    p = due.params
    if due.kind is Kind.LEVEL_CHANGED:
        return messages.level_changed(text, p["previous"], p["level"], p["reason"], today, t)
    if due.kind is Kind.DEADLINE_NEAR:
        return messages.deadline_near(text, p["remaining"], today, t)
    if due.kind is Kind.REPORT_DUE:
        unit = (due.only_units or ("",))[0]
        return messages.report_due(text, unit_names.get(unit, ""), p["due"], today, t)
    if due.kind is Kind.RED_CHASE:
        return messages.red_chase(text, p["overdue"], today, t)
    if due.kind is Kind.NOTICE_UNACKED:
        unit = unit_names.get(p.get("unit_id", ""), "")
        return messages.notice_unacked(text, unit, p["code"], p["response_deadline"], today, t)
    if due.kind is Kind.NOTICE_ESCALATION:
        unit = unit_names.get(p.get("unit_id", ""), "")
        return messages.notice_escalation(text, unit, p["code"], p["waited"], today, t)
    if due.kind is Kind.ITEM_CHANGED:
        named = {**p, "to_unit_name": unit_names.get(p.get("to_unit_id", ""), "")}
        return messages.changed(p["what"], text, unit_names.get(p["unit_id"], ""), today, named, t)
    return messages.red_escalation(text, p["lasted"], today, t)


@dataclass(frozen=True)
class Recipient:
    person: Person
    wecom_app: bool
    email: bool
    inbox: bool


def recipient_of(row: Mapping[str, Any]) -> Recipient:
    return Recipient(
        Person(
            id=str(row["id"]),
            name=row["name"],
            unit_id=str(row["unit_id"]) if row["unit_id"] else None,
            roles=frozenset(row["roles"]),
            mobile=row["mobile"],
            wecom_user_id=row["wecom_user_id"],
            email=row["email"],
        ),
        wecom_app=row["pref_wecom_app"],
        email=row["pref_email"],
        inbox=row["pref_inbox"],
    )


def notification_rows(
    due: Due,
    item: ItemView,
    message: messages.Message,
    people: Sequence[Recipient],
    robot_keys: Mapping[str, str],
    at: datetime,
) -> list[tuple[Any, ...]]:
    """The rows for one reason: per person and channel, plus one per unit robot (pure)."""
    by_id = {r.person.id: r for r in people}
    chosen = reminders.recipients(
        item.people,
        [r.person for r in people],
        reminders.audience(due.kind, due.params.get("level")),
        due.only_units,
    )
    item_id = UUID(item.id)
    rows: list[tuple[Any, ...]] = []

    def row(channel: str, recipient: str, **kw: Any) -> tuple[Any, ...]:
        return (
            f"{due.reason_key}|{channel}|{recipient}",
            due.reason_key,
            due.kind.value,
            channel,
            item_id,
            kw.get("person_id"),
            kw.get("unit_id"),
            kw.get("address"),
            kw.get("mentions", []),
            message.title,
            message.body,
            "SENT" if channel == "INBOX" else "PENDING",
            at if channel == "INBOX" else None,
            kw.get("link"),
        )

    concerned = due.only_units or item.people.unit_ids
    for person in chosen:
        prefs = by_id[person.id]
        pid = UUID(person.id)
        if prefs.inbox:
            rows.append(row("INBOX", person.id, person_id=pid))
        if prefs.wecom_app and person.wecom_user_id:
            link = (
                report_link(item.id)
                if reminders.offers_report(due.kind, person.unit_id, concerned)
                else None
            )
            rows.append(
                row("WECOM_APP", person.id, person_id=pid, address=person.wecom_user_id, link=link)
            )
        if prefs.email and person.email:
            rows.append(row("EMAIL", person.id, person_id=pid, address=person.email))
    if due.kind is not Kind.RED_ESCALATION:
        for unit_id in concerned:
            key = robot_keys.get(unit_id)
            if not key:
                continue
            mentions = [
                f"m:{p.mobile}" if p.mobile else f"u:{p.wecom_user_id}"
                for p in chosen
                if p.unit_id == unit_id and (p.mobile or p.wecom_user_id)
            ]
            rows.append(
                row("WECOM_ROBOT", unit_id, unit_id=UUID(unit_id), address=key, mentions=mentions)
            )
    return rows


@dataclass
class Directory:
    """People and units for a batch of items, loaded in two queries."""

    by_unit: dict[str, list[Recipient]]
    by_id: dict[str, Recipient]
    leaders: list[Recipient]
    unit_names: dict[str, str]
    robot_keys: dict[str, str]

    def people_for(self, item: ItemView) -> list[Recipient]:
        found = {r.person.id: r for u in item.people.unit_ids for r in self.by_unit.get(u, [])}
        for pid in (*item.people.owner_ids, item.people.responsible_leader_id):
            if pid and pid in self.by_id:
                found[pid] = self.by_id[pid]
        found.update((r.person.id, r) for r in self.leaders)
        return list(found.values())


async def load_directory(conn: asyncpg.Connection, items: Sequence[ItemView]) -> Directory:
    unit_ids = {UUID(u) for i in items for u in i.people.unit_ids}
    person_ids = {UUID(p) for i in items for p in i.people.owner_ids}
    person_ids |= {
        UUID(i.people.responsible_leader_id) for i in items if i.people.responsible_leader_id
    }
    people = [
        recipient_of(r) for r in await store.list_people_for(conn, list(unit_ids), list(person_ids))
    ]
    units = await store.list_units_by_ids(conn, list(unit_ids))
    by_unit: dict[str, list[Recipient]] = {}
    for r in people:
        if r.person.unit_id:
            by_unit.setdefault(r.person.unit_id, []).append(r)
    return Directory(
        by_unit=by_unit,
        by_id={r.person.id: r for r in people},
        leaders=[r for r in people if reminders.DISTRICT_LEADER in r.person.roles],
        unit_names={str(u["id"]): u["name"] for u in units},
        robot_keys={str(u["id"]): u["robot_key"] for u in units if u["robot_key"]},
    )


async def plan(
    conn: asyncpg.Connection,
    work: Sequence[tuple[ItemView, Sequence[Due]]],
    today: date,
    at: datetime,
    directory: Directory | None = None,
) -> int:
    """Claim the reasons and write their rows (inside the caller's transaction), worded
    by the templates of the rule set in force now."""
    fresh = await store.claim_reasons(
        conn, [(d.reason_key, d.kind.value, UUID(item.id)) for item, dues in work for d in dues]
    )
    if not fresh:
        return 0
    directory = directory or await load_directory(conn, [item for item, _ in work])
    templates = (await rules_service.reminder_rules(conn)).templates
    rows: list[tuple[Any, ...]] = []
    for item, dues in work:
        people = directory.people_for(item)
        for due in dues:
            if due.reason_key not in fresh:
                continue
            message = compose(due, item, directory.unit_names, today, templates)
            found = notification_rows(due, item, message, people, directory.robot_keys, at)
            if not found:
                log.warning("reminder %s has no recipients", due.reason_key)
            rows += found
    return await store.insert_notifications(conn, rows)


async def on_level_changed(
    conn: asyncpg.Connection, event: LevelChanged, level_version: int
) -> int:
    """Remind the item's people of a colour change (not of the first GREEN, nor of closing)."""
    if event.level is None or (event.previous_level is None and event.level == "GREEN"):
        return 0
    row = await store.get_item(conn, UUID(event.item_id))
    if row is None:
        return 0
    item = item_view(row)
    due = Due(
        Kind.LEVEL_CHANGED,
        f"level:{event.item_id}:{level_version}:{event.level}",
        params={"previous": event.previous_level, "level": event.level, "reason": event.reason},
    )
    at = clock.now()
    return await plan(conn, [(item, [due])], local_date(event.changed_at), at)


def offsets_of(settings: Settings) -> tuple[int, ...]:
    return tuple(int(x) for x in str(settings.deadline_reminder_workdays).split(",") if x.strip())


async def scan(pool: asyncpg.Pool, settings: Settings, at: datetime, batch: int = 500) -> int:
    """Walk every open item once and plan the time-driven reminders due today."""
    today = local_date(at)
    offsets = offsets_of(settings)
    written = 0
    after: UUID | None = None
    while True:
        async with pool.acquire() as conn:
            rows = await store.list_open_items_after(conn, after, batch)
            if not rows:
                return written
            after = rows[-1]["id"]
            candidates = []
            for r in rows:
                item = item_view(r)
                dues = due_reasons(item, today, offsets, settings.escalation_grace_workdays)
                if dues:
                    candidates.append((item, dues))
            keys = [d.reason_key for _, dues in candidates for d in dues]
            seen = await store.reasons_seen(conn, keys) if keys else set()
            todo = [
                (item, fresh)
                for item, dues in candidates
                if (fresh := [d for d in dues if d.reason_key not in seen])
            ]
            if not todo:
                continue
            directory = await load_directory(conn, [item for item, _ in todo])
            async with conn.transaction():
                written += await plan(conn, todo, today, at, directory)


async def on_item_changed(
    conn: asyncpg.Connection, event_id: str, event: ev.ItemEvent, at: datetime | None = None
) -> int:
    """Tell the people a 修改 / 转办 / 调整时限 affects (tasks.item.updated / transferred /
    deadline_reset), each once per event, from the event's own snapshot."""
    item, detail = event.item, event.detail
    lead = item.lead_unit_id
    units = [lead, *item.co_unit_ids]
    if isinstance(event, ev.ItemUpdated):
        notices = changes.updated_notices(event_id, lead, detail, item.responsible_leader_id)
    elif isinstance(event, ev.ItemTransferred):
        notices = changes.transferred_notices(event_id, lead, detail)
    else:
        notices = changes.deadline_reset_notices(
            event_id, units, item.owner_ids, item.responsible_leader_id, detail
        )
    if not notices:
        return 0
    base = ItemView(
        id=item.id,
        code=item.code,
        title=item.title,
        start_date=item.start_date,
        deadline=item.deadline,
        reporting_cycle=item.reporting_cycle,
        people=ItemPeople(tuple(units), item.responsible_leader_id, tuple(item.owner_ids)),
        units=(),
        level=None,
        red_since=None,
    )
    everyone = ItemPeople(
        tuple(dict.fromkeys([*units, *(u for n in notices for u in n.people.unit_ids)])),
        None,
        tuple(dict.fromkeys(p for n in notices for p in n.people.owner_ids)),
    )
    directory = await load_directory(conn, [replace(base, people=everyone)])
    at = at or clock.now()
    work = [(replace(base, people=n.people), [n.due]) for n in notices]
    return await plan(conn, work, local_date(at), at, directory)
