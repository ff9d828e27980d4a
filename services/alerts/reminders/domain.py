"""When a reminder is due, and for which reason (pure; the caller passes today).

Every rule returns a *reason key*: a string that names the reason uniquely, so the
same reminder is never produced twice (the key goes into the notification's dedupe
key). Working days are those of the official Chinese calendar
(``services.core.calendar``).

- Deadline near (临近时限): with offsets (3, 1), the reminder for offset 3 is due
  while 2..3 working days remain before the deadline, the one for offset 1 while
  0..1 remain (an item created late still gets the nearest reminder, once).
- Report due (报送进度): each reporting cycle is a period (DAILY: a working day,
  WEEKLY: an ISO week, BIWEEKLY: two ISO weeks counted from the start date's week,
  MONTHLY: a calendar month). On the period's last working day a unit that has not
  reported since the period began is reminded. A period that began before the
  item's start date is not counted.
- RED chase (红色催办): every working day after the day the item turned RED.
- RED escalation (红色升级): once per RED spell, when RED has lasted at least
  ``grace_workdays`` working days; to the responsible leader and district leaders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from services.alerts.rules.domain import NOTICE_ESCALATE_WORKDAYS, NOTICE_REMIND_WORKDAYS
from services.core.calendar import is_workday, workdays_between


class Kind(StrEnum):
    LEVEL_CHANGED = "LEVEL_CHANGED"  # 颜色变化
    DEADLINE_NEAR = "DEADLINE_NEAR"  # 临近时限
    REPORT_DUE = "REPORT_DUE"  # 报送进度
    RED_CHASE = "RED_CHASE"  # 红色催办
    RED_ESCALATION = "RED_ESCALATION"  # 红色升级
    ITEM_CHANGED = "ITEM_CHANGED"  # 事项变更 (修改 / 转办 / 调整时限: the people it affects)
    NOTICE_UNACKED = "NOTICE_UNACKED"  # 通知单未签阅 (to the recipient)
    NOTICE_ESCALATION = "NOTICE_ESCALATION"  # 通知单无人签阅 (to the leader and unit heads)


# Reminders that ask a unit to act: to the unit's own people they go (over the WeCom
# application) as a card whose 去汇报 jump opens the item's mobile report page.
REPORT_LINK_KINDS: frozenset[Kind] = frozenset(
    {Kind.REPORT_DUE, Kind.LEVEL_CHANGED, Kind.DEADLINE_NEAR, Kind.RED_CHASE}
)


def offers_report(kind: Kind, person_unit: str | None, units: Sequence[str]) -> bool:
    """Whether a reminder of ``kind`` to someone of ``person_unit`` carries the 去汇报 jump:
    only the units the reminder concerns report (leaders and the office do not)."""
    return kind in REPORT_LINK_KINDS and person_unit is not None and person_unit in units


DEFAULT_DEADLINE_OFFSETS: tuple[int, ...] = (3, 1)
DEFAULT_ESCALATION_GRACE = 2


def deadline_reminder(
    item_id: str,
    deadline: date,
    today: date,
    offsets: Sequence[int] = DEFAULT_DEADLINE_OFFSETS,
) -> str | None:
    """The reason key of the deadline reminder due today, or None."""
    if today > deadline or not offsets:
        return None
    remaining = workdays_between(today, deadline)
    fitting = [o for o in offsets if remaining <= o]
    if not fitting:
        return None
    offset = min(fitting)
    return f"deadline:{item_id}:{deadline.isoformat()}:{offset}"


def period_of(cycle: str, start: date, today: date) -> tuple[date, date]:
    """The reporting period containing ``today``: (first day, last day)."""
    if cycle == "DAILY":
        return today, today
    if cycle == "MONTHLY":
        first = today.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    if cycle == "BIWEEKLY":
        anchor = start - timedelta(days=start.weekday())
        if (monday - anchor).days // 7 % 2 == 1:
            monday -= timedelta(days=7)
        return monday, monday + timedelta(days=13)
    return monday, monday + timedelta(days=6)


def last_workday(first: date, last: date) -> date | None:
    day = last
    while day >= first:
        if is_workday(day):
            return day
        day -= timedelta(days=1)
    return None


def report_reminder(
    item_id: str,
    unit_id: str,
    cycle: str,
    start: date,
    deadline: date,
    last_report_on: date | None,
    today: date,
) -> tuple[str, date] | None:
    """(reason key, due date) when ``unit_id`` must be reminded to report today."""
    if today < start or today > deadline:
        return None
    first, last = period_of(cycle, start, today)
    if first < start:
        return None
    due = last_workday(first, min(last, deadline))
    if due is None or today < due:
        return None
    if last_report_on is not None and last_report_on >= first:
        return None
    return f"report:{item_id}:{unit_id}:{first.isoformat()}", due


def red_chase(item_id: str, red_since: date, today: date) -> str | None:
    if today <= red_since or not is_workday(today):
        return None
    return f"chase:{item_id}:{today.isoformat()}"


def red_escalation(
    item_id: str, red_since: date, today: date, grace_workdays: int = DEFAULT_ESCALATION_GRACE
) -> str | None:
    if workdays_between(red_since, today) < grace_workdays:
        return None
    return f"escalate:{item_id}:{red_since.isoformat()}"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    unit_id: str | None
    roles: frozenset[str]
    mobile: str | None = None
    wecom_user_id: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ItemPeople:
    """Who is on an item, by id (from the item projection)."""

    unit_ids: tuple[str, ...]  # lead unit first
    responsible_leader_id: str | None
    owner_ids: tuple[str, ...]


# Who hears about what: roles on the item per kind of reminder.
UNIT_HEAD = "UNIT_HEAD"
UNIT_SUPERVISOR = "UNIT_SUPERVISOR"
RESPONSIBLE_LEADER = "RESPONSIBLE_LEADER"
OWNER = "OWNER"
DISTRICT_LEADER = "LEADER"


def audience(kind: Kind, level: str | None = None) -> frozenset[str]:
    if kind is Kind.NOTICE_ESCALATION:
        return frozenset({RESPONSIBLE_LEADER, UNIT_HEAD})
    if kind is Kind.RED_ESCALATION:
        return frozenset({RESPONSIBLE_LEADER, DISTRICT_LEADER})
    if kind is Kind.REPORT_DUE:
        return frozenset({UNIT_SUPERVISOR, OWNER})
    if kind is Kind.DEADLINE_NEAR:
        return frozenset({UNIT_HEAD, UNIT_SUPERVISOR, OWNER, RESPONSIBLE_LEADER})
    if kind is Kind.LEVEL_CHANGED and level == "GREEN":
        return frozenset({UNIT_SUPERVISOR, OWNER})
    if kind is Kind.LEVEL_CHANGED and level == "RED":
        return frozenset({UNIT_HEAD, UNIT_SUPERVISOR, OWNER, RESPONSIBLE_LEADER})
    return frozenset({UNIT_HEAD, UNIT_SUPERVISOR, OWNER})


def recipients(
    item: ItemPeople,
    people: Sequence[Person],
    roles: frozenset[str],
    only_units: Sequence[str] | None = None,
) -> list[Person]:
    """The people to notify for ``roles`` on ``item``, each once, in a stable order.

    ``only_units`` narrows the unit roles (unit head, supervisor) to some of the
    item's units (e.g. the unit whose report is missing).
    """
    units = set(only_units if only_units is not None else item.unit_ids) & set(item.unit_ids)
    chosen: dict[str, Person] = {}
    for p in people:
        in_unit = p.unit_id in units
        if (
            (UNIT_HEAD in roles and in_unit and UNIT_HEAD in p.roles)
            or (UNIT_SUPERVISOR in roles and in_unit and UNIT_SUPERVISOR in p.roles)
            or (OWNER in roles and p.id in item.owner_ids)
            or (RESPONSIBLE_LEADER in roles and p.id == item.responsible_leader_id)
            or (DISTRICT_LEADER in roles and DISTRICT_LEADER in p.roles)
        ):
            chosen[p.id] = p
    return sorted(chosen.values(), key=lambda p: p.id)


# -- which time-driven reminders are due today for one open item ---------------------


@dataclass(frozen=True)
class UnitState:
    unit_id: str
    last_report_on: date | None
    done: bool


@dataclass(frozen=True)
class ItemView:
    id: str
    code: str
    title: str
    start_date: date
    deadline: date
    reporting_cycle: str
    people: ItemPeople
    units: tuple[UnitState, ...]
    level: str | None
    red_since: date | None


@dataclass(frozen=True)
class Due:
    kind: Kind
    reason_key: str
    only_units: tuple[str, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)


def due_reasons(
    item: ItemView,
    today: date,
    offsets: Sequence[int] = DEFAULT_DEADLINE_OFFSETS,
    grace_workdays: int = DEFAULT_ESCALATION_GRACE,
) -> list[Due]:
    """Every time-driven reminder due today for one open item (pure)."""
    due: list[Due] = []
    if key := deadline_reminder(item.id, item.deadline, today, offsets):
        remaining = max(workdays_between(today, item.deadline), 0)
        due.append(Due(Kind.DEADLINE_NEAR, key, params={"remaining": remaining}))
    for unit in item.units:
        if unit.done:
            continue
        found = report_reminder(
            item.id,
            unit.unit_id,
            item.reporting_cycle,
            item.start_date,
            item.deadline,
            unit.last_report_on,
            today,
        )
        if found:
            due.append(Due(Kind.REPORT_DUE, found[0], (unit.unit_id,), {"due": found[1]}))
    if item.level == "RED" and item.red_since is not None:
        if key := red_chase(item.id, item.red_since, today):
            overdue = max(workdays_between(item.deadline, today), 1)
            due.append(Due(Kind.RED_CHASE, key, params={"overdue": overdue}))
        if key := red_escalation(item.id, item.red_since, today, grace_workdays):
            lasted = workdays_between(item.red_since, today)
            due.append(Due(Kind.RED_ESCALATION, key, params={"lasted": lasted}))
    return due


# -- supervision notices nobody acknowledged ------------------------------------------


def notice_reminders(
    notice_id: str,
    person_id: str,
    issued_on: date,
    today: date,
    remind_after: int = NOTICE_REMIND_WORKDAYS,
    escalate_after: int = NOTICE_ESCALATE_WORKDAYS,
) -> list[tuple[Kind, str]]:
    """(kind, reason key) due today for one recipient who has not acknowledged: one
    reminder once ``remind_after`` working days have passed, one escalation per notice
    after ``escalate_after`` (the rule set's thresholds; 1 and 3 by default)."""
    waited = workdays_between(issued_on, today)
    due: list[tuple[Kind, str]] = []
    if waited >= remind_after:
        due.append((Kind.NOTICE_UNACKED, f"notice:{notice_id}:{person_id}"))
    if waited >= escalate_after:
        due.append((Kind.NOTICE_ESCALATION, f"notice-escalate:{notice_id}"))
    return due
