"""Reminder texts in one house style (Chinese, the voice of the district supervision
office). Pure.

The style follows the seed system's message "你辖区***市政重点工程急需解决问题,请督查员
进行进度汇报(时限:2018-06-14)", written with full-width punctuation:

    【督查提醒】<unit>：<code>“<title>”<what happened>，请<who><what to do>（时限：<date>）。

- one header (【督查提醒】, 【督查催办】 or 【督查专报】), then the unit, the item code and
  title, what happened, what to do and by when;
- the time limit is written once, at the end, and a limit that falls today reads
  （时限：今日）; a text that asks nothing (someone is released from an item) has none;
- full-width punctuation only (，：（）“”。); no date appears anywhere but in the limit.

The wording is rule-set data (services.alerts.rules.domain: DEFAULT_TEMPLATES, checked
by ``check_template`` when the office saves one, ADR 0023); every function here takes the
templates in force (``Templates``, the defaults when none are given) and fills them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.alerts.rules.domain import (
    ASKS_NOTHING,
    DEFAULT_TEMPLATES,
    EXTRA_PLACEHOLDERS,
    HEADERS,
    check_template,
)
from services.core.calendar import add_workdays

__all__ = ["DEFAULT_TEMPLATES", "HEADERS", "check_template"]

Templates = Mapping[str, str]

LEVEL_NAMES = {
    "RED": "红色预警（逾期未办）",
    "BLUE": "蓝色预警（进度停滞）",
    "YELLOW": "黄色预警（进度滞后）",
    "GREEN": "绿色（正常推进）",
}
COLOUR_WORDS = {"RED": "红色", "BLUE": "蓝色", "YELLOW": "黄色", "GREEN": "绿色"}

TITLES: dict[str, str] = {
    "LEVEL_GREEN": "督查提醒：恢复正常",
    "DEADLINE_NEAR": "督查提醒：临近办理时限",
    "DEADLINE_TODAY": "督查提醒：今日到期",
    "REPORT_DUE": "督查提醒：请报送进度",
    "RED_CHASE": "督查催办：逾期未办",
    "RED_ESCALATION": "督查专报：红色预警升级",
    "OWNER_ADDED": "督查提醒：新增负责事项",
    "LEADER_ADDED": "督查提醒：新增分包事项",
    "OWNER_REMOVED": "督查提醒：负责事项调整",
    "LEADER_REMOVED": "督查提醒：分包事项调整",
    "UNIT_ADDED": "督查提醒：新增配合事项",
    "UNIT_REMOVED": "督查提醒：配合事项调整",
    "TRANSFERRED_IN": "督查提醒：转办事项请签收",
    "TRANSFERRED_OUT": "督查提醒：事项已转办",
    "DEADLINE_RESET": "督查提醒：办理时限调整",
    "NOTICE_UNACKED": "督查提醒：通知单待签阅",
    "NOTICE_ESCALATION": "督查专报：通知单无人签阅",
}


@dataclass(frozen=True)
class ItemText:
    code: str
    title: str
    deadline: date
    lead_unit_name: str = ""


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def limit(day: date, today: date) -> str:
    """A limit today — or already past when a reminder goes out late — reads 今日."""
    return "今日" if day <= today else day.isoformat()


def _fill(
    templates: Templates,
    name: str,
    item: ItemText,
    unit: str,
    day: date | None,
    today: date,
    **kw: Any,
) -> str:
    values = {
        "unit": unit or item.lead_unit_name or "相关单位",
        "code": item.code,
        "title": item.title,
        "deadline": limit(day, today) if day else "",
        **kw,
    }
    try:
        return (templates.get(name) or DEFAULT_TEMPLATES[name]).format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        # saved templates are checked (rules.domain.check_template); a row that slipped
        # past the check never costs the reminder: the default wording goes out instead
        return DEFAULT_TEMPLATES[name].format(**values)


def _why(reason: str) -> str:
    reason = (reason or "").strip().rstrip("。")
    return f"（原因：{reason}）" if reason else ""


def level_changed(
    item: ItemText,
    previous: str | None,
    level: str,
    reason: str,
    today: date,
    templates: Templates = DEFAULT_TEMPLATES,
) -> Message:
    by = add_workdays(today, 1)
    was = f"由{LEVEL_NAMES[previous]}" if previous else ""
    t = templates
    if level == "GREEN":
        body = _fill(
            t, "LEVEL_GREEN", item, "", item.deadline, today, was=was, level=LEVEL_NAMES["GREEN"]
        )
        return Message(TITLES["LEVEL_GREEN"], body)
    if level == "RED":
        body = _fill(t, "LEVEL_RED", item, "", by, today, was=was, level=LEVEL_NAMES["RED"])
    else:
        detail = (reason or "请关注办理进度").rstrip("。")
        body = _fill(
            t, "LEVEL_OTHER", item, "", by, today, was=was, level=LEVEL_NAMES[level], detail=detail
        )
    return Message(f"督查提醒：{COLOUR_WORDS[level]}预警", body)


def deadline_near(
    item: ItemText, remaining_workdays: int, today: date, templates: Templates = DEFAULT_TEMPLATES
) -> Message:
    if remaining_workdays <= 0 or item.deadline <= today:
        body = _fill(templates, "DEADLINE_TODAY", item, "", item.deadline, today)
        return Message(TITLES["DEADLINE_TODAY"], body)
    body = _fill(
        templates, "DEADLINE_NEAR", item, "", item.deadline, today, remaining=remaining_workdays
    )
    return Message(TITLES["DEADLINE_NEAR"], body)


def report_due(
    item: ItemText,
    unit_name: str,
    due: date,
    today: date,
    templates: Templates = DEFAULT_TEMPLATES,
) -> Message:
    body = _fill(templates, "REPORT_DUE", item, unit_name, due, today)
    return Message(TITLES["REPORT_DUE"], body)


def red_chase(
    item: ItemText, overdue_workdays: int, today: date, templates: Templates = DEFAULT_TEMPLATES
) -> Message:
    by = add_workdays(today, 1)
    body = _fill(templates, "RED_CHASE", item, "", by, today, overdue=overdue_workdays)
    return Message(TITLES["RED_CHASE"], body)


def red_escalation(
    item: ItemText, red_workdays: int, today: date, templates: Templates = DEFAULT_TEMPLATES
) -> Message:
    by = add_workdays(today, 1)
    body = _fill(templates, "RED_ESCALATION", item, "", by, today, lasted=red_workdays)
    return Message(TITLES["RED_ESCALATION"], body)


def changed(
    what: str,
    item: ItemText,
    unit_name: str,
    today: date,
    params: Mapping[str, Any],
    templates: Templates = DEFAULT_TEMPLATES,
) -> Message:
    """A moved item (修改 / 转办 / 调整时限), told to the people or unit it affects."""
    kw: dict[str, Any] = {}
    if "why" in EXTRA_PLACEHOLDERS[what]:
        kw["why"] = _why(str(params.get("reason", "")))
    if what == "TRANSFERRED_OUT":
        kw["to_unit"] = params.get("to_unit_name") or "其他单位"
    day = None if what in ASKS_NOTHING else item.deadline
    return Message(TITLES[what], _fill(templates, what, item, unit_name, day, today, **kw))


def notice_unacked(
    item: ItemText,
    unit_name: str,
    notice_code: str,
    due: date,
    today: date,
    templates: Templates = DEFAULT_TEMPLATES,
) -> Message:
    body = _fill(templates, "NOTICE_UNACKED", item, unit_name, due, today, notice=notice_code)
    return Message(TITLES["NOTICE_UNACKED"], body)


def notice_escalation(
    item: ItemText,
    unit_name: str,
    notice_code: str,
    days: int,
    today: date,
    templates: Templates = DEFAULT_TEMPLATES,
) -> Message:
    by = add_workdays(today, 1)
    body = _fill(
        templates, "NOTICE_ESCALATION", item, unit_name, by, today, notice=notice_code, days=days
    )
    return Message(TITLES["NOTICE_ESCALATION"], body)


def _fit(text: str, max_bytes: int) -> str:
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore") + "…"


CODE = re.compile(r"DB-\d{4}-\d{4,}")


def colour_of(body: str) -> str | None:
    """The colour a text speaks of: a level change names it (…为<颜色>预警（…）),
    chases and red escalations are red; other texts have none."""
    if body.startswith("【督查催办】") or "红色预警（逾期未办）已持续" in body:
        return "RED"
    return next((c for c, name in LEVEL_NAMES.items() if f"为{name}" in body), None)


def colour_counts(bodies: Sequence[str]) -> dict[str, int]:
    """How many distinct items (by code) per colour the texts speak of."""
    seen: dict[str, set[str]] = {}
    for body in bodies:
        colour = colour_of(body)
        if colour:
            found = CODE.search(body)
            seen.setdefault(colour, set()).add(found.group(0) if found else body)
    return {c: len(seen[c]) for c in COLOUR_WORDS if c in seen}


def digest_header(bodies: Sequence[str]) -> str:
    counts = colour_counts(bodies)
    items = "、".join(f"{COLOUR_WORDS[c]}{n}项" for c, n in counts.items())
    return f"【督查提醒汇总】共{len(bodies)}条提醒" + (f"，其中{items}" if items else "") + "："


def _digest_text(bodies: Sequence[str], left: int = 0) -> str:
    lines = [digest_header(bodies), *(f"{i}、{b}" for i, b in enumerate(bodies, 1))]
    if left:
        lines.append(f"……另有{left}条提醒随后发送，也可登录督查平台查看。")
    return "\n".join(lines)


def fit_digest(bodies: Sequence[str], max_bytes: int | None = None) -> tuple[str, int]:
    """Many reminders to one recipient merged into one message, headed by how many items
    per colour they concern, and how many it carries: when the channel's limit cuts it,
    the first ones that fit go now and the rest wait for the next digest.

    ``max_bytes`` (WeCom text messages take 2,048 bytes of UTF-8) keeps the first
    reminders that fit; the caller leaves the rest PENDING for the next digest (the
    text says they follow). At least one reminder is always carried (cut to fit).
    """
    if len(bodies) == 1:
        return (_fit(bodies[0], max_bytes) if max_bytes else bodies[0]), 1
    text = _digest_text(bodies)
    if max_bytes is None or len(text.encode()) <= max_bytes:
        return text, len(bodies)
    for kept in range(len(bodies) - 1, 1, -1):
        text = _digest_text(bodies[:kept], len(bodies) - kept)
        if len(text.encode()) <= max_bytes:
            return text, kept
    return _fit(bodies[0], max_bytes), 1


def digest(bodies: Sequence[str], max_bytes: int | None = None) -> str:
    """The text of ``fit_digest`` (only the reminders that fit)."""
    return fit_digest(bodies, max_bytes)[0]
