"""The rule set's own rules: what a source's thresholds may be, and what the reminder
templates and notice thresholds may be (pure)."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.core.errors import ValidationFailed


class RuleSource(StrEnum):
    """What a rule setting is for: one item source (contracts' ``ItemSource``), or DEFAULT
    for every source without its own setting."""

    DEFAULT = "DEFAULT"
    SUPERIOR_ASSIGNMENT = "SUPERIOR_ASSIGNMENT"
    LEADER_INSTRUCTION = "LEADER_INSTRUCTION"
    KEY_WORK = "KEY_WORK"
    MAJOR_PROJECT = "MAJOR_PROJECT"
    CONGRESS_PROPOSAL = "CONGRESS_PROPOSAL"
    CPPCC_PROPOSAL = "CPPCC_PROPOSAL"
    PUBLIC_REQUEST = "PUBLIC_REQUEST"
    OTHER = "OTHER"


def checked_source(source: str, lag_tolerance: int, stall_cycles: int) -> str:
    """The source a new settings version is for (trimmed), or a validation error."""
    if not source.strip():
        raise ValidationFailed("来源不能为空", field="source")
    if not 0 <= lag_tolerance <= 100:
        raise ValidationFailed("容差须在 0–100 之间", field="lagTolerance")
    if not 1 <= stall_cycles <= 52:
        raise ValidationFailed("停滞周期数须在 1–52 之间", field="stallCycles")
    return source.strip()


# -- reminder wording and notice thresholds (ADR 0023) ---------------------------------
#
# Every reminder's text is a template in the rule set, written by the office with
# ``{placeholder}``s. A template keeps the house style (messages.py): one header, the
# unit, the item's code and title, what to do and — when it asks for something — the time
# limit, once, at the end: （时限：{deadline}） (``deadline`` reads 今日 for a limit that
# falls today). The defaults below are the house-style texts; a saved template is checked
# against the rules of its key (``check_template``) and refused with the key as the field.

COMMON_PLACEHOLDERS = frozenset({"unit", "code", "title", "deadline"})
# The extra placeholders each template may use (on top of the common ones).
EXTRA_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "LEVEL_GREEN": frozenset({"was", "level"}),
    "LEVEL_RED": frozenset({"was", "level"}),
    "LEVEL_OTHER": frozenset({"was", "level", "detail"}),
    "DEADLINE_NEAR": frozenset({"remaining"}),
    "DEADLINE_TODAY": frozenset(),
    "REPORT_DUE": frozenset(),
    "RED_CHASE": frozenset({"overdue"}),
    "RED_ESCALATION": frozenset({"lasted"}),
    "OWNER_ADDED": frozenset(),
    "LEADER_ADDED": frozenset(),
    "OWNER_REMOVED": frozenset({"why"}),
    "LEADER_REMOVED": frozenset({"why"}),
    "UNIT_ADDED": frozenset(),
    "UNIT_REMOVED": frozenset({"why"}),
    "TRANSFERRED_IN": frozenset({"why"}),
    "TRANSFERRED_OUT": frozenset({"to_unit"}),
    "DEADLINE_RESET": frozenset({"why"}),
    "NOTICE_UNACKED": frozenset({"notice"}),
    "NOTICE_ESCALATION": frozenset({"notice", "days"}),
}
# Texts that ask nothing (someone is released from an item) state no time limit.
ASKS_NOTHING = frozenset({"OWNER_REMOVED", "LEADER_REMOVED", "UNIT_REMOVED", "TRANSFERRED_OUT"})
LIMIT = "（时限：{deadline}）"

DEFAULT_TEMPLATES: dict[str, str] = {
    "LEVEL_GREEN": "【督查提醒】{unit}：{code}“{title}”预警等级{was}恢复为{level}，"
    "请继续按计划推进" + LIMIT + "。",
    "LEVEL_RED": "【督查提醒】{unit}：{code}“{title}”已超过办理时限仍未办结，{was}变为{level}，"
    "请立即办理并由督查员报送进度" + LIMIT + "。",
    "LEVEL_OTHER": "【督查提醒】{unit}：{code}“{title}”{was}变为{level}，{detail}，"
    "请督查员报送进度" + LIMIT + "。",
    "DEADLINE_NEAR": "【督查提醒】{unit}：{code}“{title}”距办理时限还有{remaining}个工作日，"
    "请抓紧办理并由督查员报送进度" + LIMIT + "。",
    "DEADLINE_TODAY": "【督查提醒】{unit}：{code}“{title}”今日到期，"
    "请抓紧办结并由督查员报送进度" + LIMIT + "。",
    "REPORT_DUE": "【督查提醒】{unit}：{code}“{title}”本期进度尚未报送，"
    "请督查员报送进度" + LIMIT + "。",
    "RED_CHASE": "【督查催办】{unit}：{code}“{title}”已逾期{overdue}个工作日仍未办结，"
    "请立即办理并由督查员报送进度" + LIMIT + "。",
    "RED_ESCALATION": "【督查专报】{unit}：{code}“{title}”红色预警（逾期未办）已持续{lasted}个工作日，"
    "请分包领导督促办理" + LIMIT + "。",
    "OWNER_ADDED": "【督查提醒】{unit}：{code}“{title}”已将您列为具体负责人，"
    "请及时跟进办理" + LIMIT + "。",
    "LEADER_ADDED": "【督查提醒】{unit}：{code}“{title}”已将您列为分包领导，请督促办理"
    + LIMIT
    + "。",
    "OWNER_REMOVED": "【督查提醒】{unit}：{code}“{title}”已不再由您具体负责{why}，无需继续跟进。",
    "LEADER_REMOVED": "【督查提醒】{unit}：{code}“{title}”已不再由您分包{why}，无需继续督促。",
    "UNIT_ADDED": "【督查提醒】{unit}：{code}“{title}”已将你单位列为配合单位，"
    "请督查员签收并按期报送进度" + LIMIT + "。",
    "UNIT_REMOVED": "【督查提醒】{unit}：{code}“{title}”已不再由你单位配合办理{why}，无需继续报送。",
    "TRANSFERRED_IN": "【督查提醒】{unit}：{code}“{title}”由督查办转办你单位{why}，"
    "请督查员签收并按期报送进度" + LIMIT + "。",
    "TRANSFERRED_OUT": "【督查提醒】{unit}：{code}“{title}”已转办{to_unit}，你单位无需继续办理。",
    "DEADLINE_RESET": "【督查提醒】{unit}：{code}“{title}”的办理时限经区领导同意调整{why}，"
    "请按新时限办理" + LIMIT + "。",
    "NOTICE_UNACKED": "【督查提醒】{unit}：{code}“{title}”的督查通知单{notice}尚未签阅，"
    "请及时签阅" + LIMIT + "。",
    "NOTICE_ESCALATION": "【督查专报】{unit}：{code}“{title}”的督查通知单{notice}"
    "已{days}个工作日无人签阅，请督促签阅" + LIMIT + "。",
}
HEADERS = ("【督查提醒】", "【督查催办】", "【督查专报】")
TEMPLATE_MAX_CHARS = 300  # well inside one WeCom text (2,048 bytes) once filled
HALF_WIDTH = re.compile(r"[,:;!?()\"]")
NOTICE_REMIND_WORKDAYS = 1  # an unacknowledged notice reminds its recipient after 1
NOTICE_ESCALATE_WORKDAYS = 3  # and escalates after 3 working days


def allowed_placeholders(key: str) -> frozenset[str]:
    common = COMMON_PLACEHOLDERS - {"deadline"} if key in ASKS_NOTHING else COMMON_PLACEHOLDERS
    return common | EXTRA_PLACEHOLDERS[key]


def required_placeholders(key: str) -> frozenset[str]:
    """The unit, the item (code and title) and — when the text asks for something — the
    time limit."""
    required = {"unit", "code", "title"}
    return frozenset(required if key in ASKS_NOTHING else required | {"deadline"})


def _placeholders(key: str, text: str) -> list[str]:
    field = f"templates.{key}"
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValidationFailed("模板中的花括号不成对", field=field) from None
    names: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise ValidationFailed(f"占位符“{{{name}}}”不能带格式说明", field=field)
        names.append(name)
    return names


def check_template(key: str, text: str) -> str:
    """The template (trimmed) if it keeps the house style; else a validation error whose
    field names the template (``templates.<key>``)."""
    field = f"templates.{key}"
    if key not in DEFAULT_TEMPLATES:
        raise ValidationFailed(f"没有名为“{key}”的提醒模板", field=field)
    text = text.strip()
    if not text:
        raise ValidationFailed("模板不能为空", field=field)
    if len(text) > TEMPLATE_MAX_CHARS:
        raise ValidationFailed(f"模板不能超过{TEMPLATE_MAX_CHARS}个字", field=field)
    names = _placeholders(key, text)
    if unknown := sorted(set(names) - allowed_placeholders(key)):
        shown = "、".join(f"{{{n}}}" for n in unknown)
        raise ValidationFailed(f"模板含有不认识的占位符：{shown}", field=field)
    if missing := sorted(required_placeholders(key) - set(names)):
        shown = "、".join(f"{{{n}}}" for n in missing)
        raise ValidationFailed(f"模板缺少必需的占位符：{shown}", field=field)
    if names.count("deadline") > 1:
        raise ValidationFailed("时限只写一次", field=field)
    if "deadline" in names and LIMIT not in text:
        raise ValidationFailed(f"时限须写作“{LIMIT}”", field=field)
    if HALF_WIDTH.search(re.sub(r"\{[a-z_]+\}", "", text)):
        raise ValidationFailed("模板须使用全角标点（，：；！？（）“”）", field=field)
    if not text.startswith(HEADERS):
        raise ValidationFailed("模板须以【督查提醒】【督查催办】或【督查专报】开头", field=field)
    if not text.endswith("。"):
        raise ValidationFailed("模板须以句号“。”结尾", field=field)
    if key not in ASKS_NOTHING and "请" not in text:
        raise ValidationFailed("模板须写明请谁做什么", field=field)
    if key in ASKS_NOTHING and "请" in text:
        raise ValidationFailed("告知类模板不提要求，也不写时限", field=field)
    return text


@dataclass(frozen=True)
class ReminderRules:
    """The reminder part of the alert rule set in force: every template's wording and the
    notice thresholds (working days). Version 0 is the defaults (never saved)."""

    version: int
    templates: Mapping[str, str]
    notice_remind_workdays: int = NOTICE_REMIND_WORKDAYS
    notice_escalate_workdays: int = NOTICE_ESCALATE_WORKDAYS
    created_at: datetime | None = None
    created_by: str | None = None

    def template(self, key: str) -> str:
        # a key added by a later release falls back to its default wording
        return self.templates.get(key) or DEFAULT_TEMPLATES[key]


DEFAULT_REMINDER_RULES = ReminderRules(0, DEFAULT_TEMPLATES)


def next_reminder_rules(
    current: ReminderRules,
    templates: Sequence[tuple[str, str]],
    remind_workdays: int | None,
    escalate_workdays: int | None,
) -> tuple[dict[str, str], int, int]:
    """The full set of templates and thresholds of the next version: ``current`` with the
    given templates and thresholds replaced, each checked (or a validation error)."""
    merged = {key: current.template(key) for key in DEFAULT_TEMPLATES}
    seen: set[str] = set()
    for key, text in templates:
        if key in seen:
            raise ValidationFailed(f"模板“{key}”重复", field=f"templates.{key}")
        seen.add(key)
        merged[key] = check_template(key, text)
    remind = current.notice_remind_workdays if remind_workdays is None else remind_workdays
    escalate = current.notice_escalate_workdays if escalate_workdays is None else escalate_workdays
    if not 1 <= remind <= 20:
        raise ValidationFailed("通知单提醒时间须在 1–20 个工作日之间", field="noticeRemindWorkdays")
    if not remind < escalate <= 30:
        raise ValidationFailed(
            "通知单升级时间须晚于提醒时间，且不超过 30 个工作日", field="noticeEscalateWorkdays"
        )
    return merged, remind, escalate
