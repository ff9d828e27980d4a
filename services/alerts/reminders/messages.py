"""Reminder texts (Chinese, in the voice of the district supervision office). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.core.calendar import add_workdays

LEVEL_NAMES = {
    "RED": "红色(逾期未办)",
    "BLUE": "蓝色(进度停滞)",
    "YELLOW": "黄色(进度滞后)",
    "GREEN": "绿色(正常推进)",
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


def _name(item: ItemText) -> str:
    return f"“{item.title}”({item.code})"


def level_changed(
    item: ItemText, previous: str | None, level: str, reason: str, today: date
) -> Message:
    by = add_workdays(today, 1).isoformat()
    was = f"由{LEVEL_NAMES[previous]}" if previous else ""
    if level == "GREEN":
        body = (
            f"【督查提醒】{_name(item)}预警等级{was}恢复为{LEVEL_NAMES['GREEN']},请继续按计划推进。"
        )
        return Message("督查提醒:恢复正常", body)
    detail = f":{reason.rstrip('。')}" if reason else ""
    body = (
        f"【督查提醒】{_name(item)}预警等级{was}变为{LEVEL_NAMES[level]}{detail}。"
        f"办理时限{item.deadline.isoformat()},请督查员于{by}前报送进度。"
    )
    return Message(f"督查提醒:{LEVEL_NAMES[level][:2]}预警", body)


def deadline_near(item: ItemText, remaining_workdays: int) -> Message:
    left = f"还有{remaining_workdays}个工作日" if remaining_workdays > 0 else "已到期"
    body = (
        f"【督查提醒】{_name(item)}距办理时限{item.deadline.isoformat()}{left},"
        f"请抓紧办理,请督查员于{item.deadline.isoformat()}前报送进度。"
    )
    return Message("督查提醒:临近办理时限", body)


def report_due(item: ItemText, unit_name: str, due: date) -> Message:
    who = f"{unit_name}承办的" if unit_name else ""
    body = f"【督查提醒】{who}{_name(item)}本期进度尚未报送,请督查员于{due.isoformat()}前报送进度。"
    return Message("督查提醒:请报送进度", body)


def red_chase(item: ItemText, overdue_workdays: int, today: date) -> Message:
    by = add_workdays(today, 1).isoformat()
    body = (
        f"【督查催办】{_name(item)}已超过办理时限{item.deadline.isoformat()},"
        f"逾期{overdue_workdays}个工作日仍未办结,请立即办理,请督查员于{by}前报送进度。"
    )
    return Message("督查催办:逾期未办", body)


def red_escalation(item: ItemText, red_since: date, red_workdays: int) -> Message:
    unit = f"牵头单位{item.lead_unit_name}," if item.lead_unit_name else ""
    body = (
        f"【督查专报】{_name(item)}自{red_since.isoformat()}起红色预警(逾期未办)"
        f"已持续{red_workdays}个工作日,{unit}请分包领导督促办理。"
    )
    return Message("督查专报:红色预警升级", body)


def _fit(text: str, max_bytes: int) -> str:
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore") + "…"


def fit_digest(bodies: Sequence[str], max_bytes: int | None = None) -> tuple[str, int]:
    """Many reminders to one recipient merged into one message, and how many it carries.

    ``max_bytes`` (WeCom text messages take 2,048 bytes of UTF-8) keeps the first
    reminders that fit; the caller leaves the rest PENDING for the next digest (the
    text says they follow). At least one reminder is always carried (cut to fit).
    """
    if len(bodies) == 1:
        return (_fit(bodies[0], max_bytes) if max_bytes else bodies[0]), 1
    lines = [f"【督查提醒汇总】共{len(bodies)}条提醒:"]
    lines += [f"{i}. {b}" for i, b in enumerate(bodies, 1)]
    text = "\n".join(lines)
    if max_bytes is None or len(text.encode()) <= max_bytes:
        return text, len(bodies)
    for kept in range(len(bodies) - 1, 1, -1):
        head = f"【督查提醒汇总】{kept}条提醒:"
        tail = f"……另有{len(bodies) - kept}条提醒随后发送,也可登录督查平台查看。"
        text = "\n".join([head, *lines[1 : kept + 1], tail])
        if len(text.encode()) <= max_bytes:
            return text, kept
    return _fit(bodies[0], max_bytes), 1


def digest(bodies: Sequence[str], max_bytes: int | None = None) -> str:
    """The text of ``fit_digest`` (only the reminders that fit)."""
    return fit_digest(bodies, max_bytes)[0]
