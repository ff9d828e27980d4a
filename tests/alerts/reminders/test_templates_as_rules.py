"""Reminder wording and notice thresholds are alert rule-set data (ADR 0023): the office
saves them through GraphQL, a template out of the house style is refused naming it and
saves nothing, and a good one words the next reminder — no release in between."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from services.alerts.reminders.notices import scan_notices
from services.alerts.rules.domain import DEFAULT_TEMPLATES
from services.contracts import tasks as ev
from services.core.settings import Settings
from tests.alerts.reminders.test_notice_reminders import UNIT, P, notice_world, shanghai
from tests.alerts.reminders.test_reminders import publish
from tests.support.servers import GraphQLClient, token, wait_for

ITEM = str(uuid.uuid4())
NOTICE = str(uuid.uuid4())

RULES = """{ alertReminderRules { version noticeRemindWorkdays noticeEscalateWorkdays
  templates { key text defaultText placeholders required } } }"""
SAVE = """mutation($i: AlertReminderRulesSetInput!) { alertReminderRulesSet(input: $i) {
  __typename ... on AlertReminderRulesSetSuccess { rules { version noticeRemindWorkdays
    noticeEscalateWorkdays templates { key text } } }
  ... on UserError { code field message } } }"""

MINE = (
    "【督查提醒】请{unit}尽快签阅督查通知单{notice}（事项：{code}“{title}”）（时限：{deadline}）。"
)


@pytest_asyncio.fixture(scope="module")
async def alerts(settings: Settings) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    async with notice_world(settings) as world:
        yield world


async def saved_versions(app: Any) -> int:
    return int(await app.state.pool.fetchval("SELECT count(*) FROM reminder_rules"))


async def test_a_bad_template_is_refused_and_changes_nothing(
    alerts: tuple[Any, GraphQLClient], settings: Settings
) -> None:
    app, office = alerts
    rules = (await office(RULES))["alertReminderRules"]
    assert rules["version"] == 0
    assert (rules["noticeRemindWorkdays"], rules["noticeEscalateWorkdays"]) == (1, 3)
    by_key = {t["key"]: t for t in rules["templates"]}
    assert set(by_key) == set(DEFAULT_TEMPLATES)
    assert by_key["NOTICE_UNACKED"]["text"] == DEFAULT_TEMPLATES["NOTICE_UNACKED"]
    assert set(by_key["NOTICE_UNACKED"]["required"]) == {"unit", "code", "title", "deadline"}
    assert "deadline" not in by_key["TRANSFERRED_OUT"]["placeholders"]

    good = {"key": "REPORT_DUE", "text": DEFAULT_TEMPLATES["REPORT_DUE"]}
    for key, text, says in (
        ("NOTICE_UNACKED", MINE.replace("{notice}", "{notice_no}"), "不认识的占位符"),
        ("NOTICE_UNACKED", MINE.replace("{unit}", "你单位"), "缺少必需的占位符：{unit}"),
        ("NOTICE_UNACKED", MINE.replace("“{title}”", ""), "{title}"),
        ("NOTICE_UNACKED", MINE.replace("（时限：{deadline}）", ""), "{deadline}"),
        ("NOTICE_UNACKED", MINE.replace("（事项：", "(事项:").replace("”）", "”)"), "全角"),
        ("NOTICE_UNACKED", "", "不能为空"),
        ("NOTICE_UNACKED", MINE.replace("尽快", "尽快" * 200), "不能超过"),
        ("TRANSFERRED_OUT", MINE, "不认识的占位符"),
        ("NO_SUCH_REMINDER", MINE, "没有名为"),
    ):
        # a good template in the same save is not saved either: all or nothing
        bad = await office(SAVE, {"i": {"templates": [good, {"key": key, "text": text}]}})
        result = bad["alertReminderRulesSet"]
        assert result["__typename"] == "ValidationError", (key, text, result)
        assert result["code"] == "VALIDATION"
        assert result["field"] == f"templates.{key}", result
        assert says in result["message"], result
    bad = await office(SAVE, {"i": {"noticeRemindWorkdays": 3, "noticeEscalateWorkdays": 2}})
    assert bad["alertReminderRulesSet"]["field"] == "noticeEscalateWorkdays"
    assert await saved_versions(app) == 0
    assert (await office(RULES))["alertReminderRules"] == rules

    # only the office saves; leaders read, a unit supervisor does neither
    supervisor = office.as_(token(settings, "UNIT_SUPERVISOR", units=[UNIT]))
    body = await supervisor.raw(SAVE, {"i": {"templates": [good]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await supervisor.raw(RULES))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    leader = office.as_(token(settings, "LEADER"))
    body = await leader.raw(SAVE, {"i": {"templates": [good]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await leader(RULES))["alertReminderRules"]["version"] == 0
    assert await saved_versions(app) == 0


async def test_a_saved_template_and_thresholds_word_and_time_the_next_reminder(
    alerts: tuple[Any, GraphQLClient],
) -> None:
    app, office = alerts
    saved = await office(
        SAVE,
        {
            "i": {
                "templates": [{"key": "NOTICE_UNACKED", "text": f"  {MINE}  "}],
                "noticeRemindWorkdays": 2,
                "noticeEscalateWorkdays": 4,
            }
        },
    )
    rules = saved["alertReminderRulesSet"]["rules"]
    assert rules["version"] >= 1
    assert (rules["noticeRemindWorkdays"], rules["noticeEscalateWorkdays"]) == (2, 4)
    texts = {t["key"]: t["text"] for t in rules["templates"]}
    assert texts["NOTICE_UNACKED"] == MINE  # trimmed
    assert texts["REPORT_DUE"] == DEFAULT_TEMPLATES["REPORT_DUE"]  # the rest kept

    async def ready() -> bool:
        return await app.state.pool.fetchval("SELECT count(*) FROM people") == len(P)

    await wait_for(ready)
    snapshot = ev.ItemSnapshot(
        id=ITEM,
        code="DB-2018-0123",
        title="背街小巷整治",
        source="KEY_WORK",
        start_date=shanghai("2018-06-01").date(),
        deadline=shanghai("2018-09-28").date(),
        original_deadline=shanghai("2018-09-28").date(),
        state="IN_PROGRESS",
        lead_unit_id=UNIT,
        responsible_leader_id=P["leader"],
        owner_ids=[P["owner"]],
        assignments=[ev.AssignmentSnapshot(unit_id=UNIT, role="LEAD", state="SIGNED")],
    )
    issued = ev.ItemNoticeIssued(
        item=snapshot,
        detail={
            "notice_id": NOTICE,
            "code": "督通〔2018〕9号",
            "response_deadline": "2018-06-15",
            "recipients": [{"person_id": P["sup"], "role": "UNIT_SUPERVISOR"}],
        },
    )
    await publish(app, issued.envelope(ITEM, 1, occurred_at=shanghai("2018-06-11", 9)))

    async def watched() -> bool:
        return await app.state.pool.fetchval("SELECT count(*) FROM notice_recipients") == 1

    await wait_for(watched)

    async def inbox(kind: str) -> list[str]:
        rows = await app.state.pool.fetch(
            "SELECT body FROM notifications WHERE kind = $1 AND channel = 'INBOX'", kind
        )
        return [r["body"] for r in rows]

    # Tuesday: one working day is no longer enough (the office said two)
    assert await scan_notices(app.state.pool, shanghai("2018-06-12")) == 0
    # Wednesday: the reminder goes out in the office's wording
    assert await scan_notices(app.state.pool, shanghai("2018-06-13")) > 0
    assert await inbox("NOTICE_UNACKED") == [
        "【督查提醒】请金水源街道尽快签阅督查通知单督通〔2018〕9号"
        "（事项：DB-2018-0123“背街小巷整治”）（时限：2018-06-15）。"
    ]
    # Thursday: three working days no longer escalate; Friday's four do (default wording)
    assert await scan_notices(app.state.pool, shanghai("2018-06-14")) == 0
    assert await scan_notices(app.state.pool, shanghai("2018-06-15")) > 0
    escalations = await inbox("NOTICE_ESCALATION")
    assert escalations and all("已4个工作日无人签阅" in b for b in escalations)
