"""Reminder rules: when each reminder is due, to whom, in what words (pure, table-driven)."""

from __future__ import annotations

from datetime import date

import pytest

from services.alerts.cards.domain import reminder_card, report_link, resolve_links
from services.alerts.delivery.channels import RateLimiter
from services.alerts.delivery.domain import backoff, same_link_run
from services.alerts.reminders import messages
from services.alerts.reminders.domain import (
    ItemPeople,
    Kind,
    Person,
    audience,
    deadline_reminder,
    offers_report,
    period_of,
    recipients,
    red_chase,
    red_escalation,
    report_reminder,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("today", "deadline", "expected"),
    [
        # ordinary week: deadline Friday 2018-06-15
        ("2018-06-11", "2018-06-15", None),  # 4 working days left
        ("2018-06-12", "2018-06-15", 3),  # exactly 3
        ("2018-06-13", "2018-06-15", 3),  # 2 left: still the 3-day reminder (once)
        ("2018-06-14", "2018-06-15", 1),  # exactly 1
        ("2018-06-15", "2018-06-15", 1),  # on the deadline day
        ("2018-06-16", "2018-06-15", None),  # past the deadline: RED, not "near"
        # weekend between: Friday → Tuesday deadline is 2 working days
        ("2018-06-08", "2018-06-12", 3),
        ("2018-06-07", "2018-06-12", 3),  # Thu → Tue: 3 working days
        ("2018-06-06", "2018-06-12", None),  # Wed → Tue: 4
        # Dragon Boat Festival: Monday 2018-06-18 is a holiday
        ("2018-06-15", "2018-06-19", 1),  # Fri → Tue: only Tue counts
        # National Day 2018: Sat 09-29 and Sun 09-30 are swapped workdays, 10-01..07 off
        ("2018-09-28", "2018-10-08", 3),  # 09-29, 09-30, 10-08
        ("2018-09-30", "2018-10-08", 1),  # only 10-08
        ("2018-09-27", "2018-10-08", None),  # 4
        # a deadline on a holiday: the holiday itself does not count
        ("2018-09-29", "2018-10-03", 1),  # 09-30 only
    ],
)
def test_deadline_reminder(today: str, deadline: str, expected: int | None) -> None:
    key = deadline_reminder("i1", D(deadline), D(today), (3, 1))
    if expected is None:
        assert key is None
    else:
        assert key == f"deadline:i1:{deadline}:{expected}"


def test_deadline_reminder_offsets_are_configurable() -> None:
    assert (
        deadline_reminder("i", D("2018-06-15"), D("2018-06-08"), (5,)) == "deadline:i:2018-06-15:5"
    )
    assert deadline_reminder("i", D("2018-06-15"), D("2018-06-14"), ()) is None


@pytest.mark.parametrize(
    ("cycle", "today", "period"),
    [
        ("DAILY", "2018-06-13", ("2018-06-13", "2018-06-13")),
        ("WEEKLY", "2018-06-13", ("2018-06-11", "2018-06-17")),
        ("WEEKLY", "2018-06-17", ("2018-06-11", "2018-06-17")),
        ("MONTHLY", "2018-02-10", ("2018-02-01", "2018-02-28")),
        ("MONTHLY", "2018-12-31", ("2018-12-01", "2018-12-31")),
        ("BIWEEKLY", "2018-06-13", ("2018-06-04", "2018-06-17")),  # start week 06-04
        ("BIWEEKLY", "2018-06-19", ("2018-06-18", "2018-07-01")),
    ],
)
def test_period_of(cycle: str, today: str, period: tuple[str, str]) -> None:
    assert period_of(cycle, D("2018-06-05"), D(today)) == (D(period[0]), D(period[1]))


@pytest.mark.parametrize(
    ("today", "last_report", "start", "expected_due"),
    [
        ("2018-06-15", None, "2018-06-01", "2018-06-15"),  # Friday, nothing this week
        ("2018-06-14", None, "2018-06-01", None),  # not yet due on Thursday
        ("2018-06-16", None, "2018-06-01", "2018-06-15"),  # missed run: still that week
        ("2018-06-15", "2018-06-11", "2018-06-01", None),  # reported on Monday
        ("2018-06-15", "2018-06-08", "2018-06-01", "2018-06-15"),  # only last week
        ("2018-06-15", None, "2018-06-12", None),  # started mid-week: first week free
        # Qingming 2018: Thu 04-05 to Sat 04-07 off, Sunday 04-08 a swapped workday
        ("2018-04-06", None, "2018-03-01", None),
        ("2018-04-08", None, "2018-03-01", "2018-04-08"),
    ],
)
def test_report_reminder_weekly(
    today: str, last_report: str | None, start: str, expected_due: str | None
) -> None:
    found = report_reminder(
        "i1",
        "u1",
        "WEEKLY",
        D(start),
        D("2018-12-31"),
        D(last_report) if last_report else None,
        D(today),
    )
    if expected_due is None:
        assert found is None
    else:
        assert found is not None
        week_start = period_of("WEEKLY", D(start), D(today))[0]
        assert found == (f"report:i1:u1:{week_start.isoformat()}", D(expected_due))


def test_report_due_day_is_capped_at_the_deadline() -> None:
    found = report_reminder(
        "i", "u", "WEEKLY", D("2018-06-01"), D("2018-06-13"), None, D("2018-06-13")
    )
    assert found == ("report:i:u:2018-06-11", D("2018-06-13"))
    assert (
        report_reminder("i", "u", "WEEKLY", D("2018-06-01"), D("2018-06-13"), None, D("2018-06-14"))
        is None
    )


@pytest.mark.parametrize(
    ("red_since", "today", "chase"),
    [
        ("2018-06-11", "2018-06-11", False),  # the day it turned red: the change reminder went
        ("2018-06-11", "2018-06-12", True),
        ("2018-06-11", "2018-06-16", False),  # Saturday
        ("2018-06-11", "2018-06-18", False),  # Dragon Boat Festival
        ("2018-09-28", "2018-09-29", True),  # swapped workday Saturday
    ],
)
def test_red_chase(red_since: str, today: str, chase: bool) -> None:
    key = red_chase("i", D(red_since), D(today))
    assert (key == f"chase:i:{today}") if chase else key is None


@pytest.mark.parametrize(
    ("red_since", "today", "escalate"),
    [
        ("2018-06-11", "2018-06-12", False),  # 1 working day
        ("2018-06-11", "2018-06-13", True),  # 2: grace over
        ("2018-06-15", "2018-06-18", False),  # Fri → holiday Mon: 0
        ("2018-06-15", "2018-06-19", False),  # Fri → Tue: 1
        ("2018-06-15", "2018-06-20", True),
    ],
)
def test_red_escalation(red_since: str, today: str, escalate: bool) -> None:
    key = red_escalation("i", D(red_since), D(today), 2)
    assert (key == f"escalate:i:{red_since}") if escalate else key is None


PEOPLE = [
    Person("p1", "赵书记", "lead", frozenset({"UNIT_HEAD"}), mobile="13800000001"),
    Person("p2", "李督查员", "lead", frozenset({"UNIT_SUPERVISOR"}), wecom_user_id="lijw"),
    Person("p3", "配合单位书记", "co", frozenset({"UNIT_HEAD"})),
    Person("p4", "配合督查员", "co", frozenset({"UNIT_SUPERVISOR"})),
    Person("p5", "王具体负责人", "lead", frozenset({"CADRE"})),
    Person("p6", "分包领导", "gov", frozenset({"LEADER"})),
    Person("p7", "区长", "gov", frozenset({"LEADER"})),
    Person("p8", "旁人", "other", frozenset({"UNIT_HEAD", "UNIT_SUPERVISOR"})),
]
ITEM = ItemPeople(unit_ids=("lead", "co"), responsible_leader_id="p6", owner_ids=("p5",))


@pytest.mark.parametrize(
    ("kind", "level", "only", "expected"),
    [
        (Kind.LEVEL_CHANGED, "BLUE", None, {"p1", "p2", "p3", "p4", "p5"}),
        (Kind.LEVEL_CHANGED, "RED", None, {"p1", "p2", "p3", "p4", "p5", "p6"}),
        (Kind.LEVEL_CHANGED, "GREEN", None, {"p2", "p4", "p5"}),
        (Kind.REPORT_DUE, None, ("co",), {"p4", "p5"}),
        (Kind.DEADLINE_NEAR, None, None, {"p1", "p2", "p3", "p4", "p5", "p6"}),
        (Kind.RED_CHASE, None, None, {"p1", "p2", "p3", "p4", "p5"}),
        (Kind.RED_ESCALATION, None, None, {"p6", "p7"}),
    ],
)
def test_recipients_by_role(
    kind: Kind, level: str | None, only: tuple[str, ...] | None, expected: set[str]
) -> None:
    chosen = recipients(ITEM, PEOPLE, audience(kind, level), only)
    assert {p.id for p in chosen} == expected
    assert len(chosen) == len(expected)


def test_texts_are_chinese_and_name_the_date() -> None:
    item = messages.ItemText("DB-2018-0001", "市政重点工程", D("2018-06-20"), "金水源街道")
    text = messages.level_changed(item, "GREEN", "BLUE", "10个工作日无进度", D("2018-06-13"))
    assert text.body.startswith("【督查提醒】金水源街道：DB-2018-0001“市政重点工程”")
    assert text.body.endswith("请督查员报送进度（时限：2018-06-14）。")
    assert "蓝色" in text.title
    # the next working day after Friday before the Dragon Boat holiday is Tuesday
    red = messages.red_chase(item, 3, D("2018-06-15"))
    assert red.body.endswith("（时限：2018-06-19）。")
    assert "金水源街道" in messages.red_escalation(item, 2, D("2018-06-13")).body
    assert messages.digest(["a"]) == "a"
    assert messages.digest(["a", "b"]).splitlines() == [
        "【督查提醒汇总】共2条提醒：",
        "1、a",
        "2、b",
    ]


def test_digest_fits_wecom_text_limit() -> None:
    bodies = [
        f"【督查提醒】第{i}条：" + "请督查员报送进度（时限：2018-06-14）。" * 3 for i in range(40)
    ]
    text, carried = messages.fit_digest(bodies, 2048)
    assert len(text.encode()) <= 2048
    assert 0 < carried < 40
    assert text.startswith(f"【督查提醒汇总】共{carried}条提醒：\n1、【督查提醒】第0条")
    assert text.count("【督查提醒】第") == carried  # exactly the carried ones, in order
    assert f"{carried}、【督查提醒】第{carried - 1}条" in text
    assert text.endswith(f"……另有{40 - carried}条提醒随后发送，也可登录督查平台查看。")
    assert messages.fit_digest(bodies[:2], 2048) == (messages.digest(bodies[:2]), 2)
    long, one = messages.fit_digest(["长" * 1000], 2048)
    assert len(long.encode()) <= 2048 and long.endswith("…") and one == 1
    # two reminders that cannot share a message: the first goes alone (cut), one carried
    first, one = messages.fit_digest(["甲" * 1000, "乙" * 1000], 2048)
    assert one == 1 and first.startswith("甲") and "乙" not in first


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert limiter.acquire("k") == 0
    assert limiter.acquire("k") == 0
    assert limiter.acquire("k") == 60
    assert limiter.acquire("other") == 0
    now[0] = 30
    assert limiter.acquire("k") == 30
    now[0] = 60
    assert limiter.acquire("k") == 0


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (10, 3600)])
def test_backoff(attempts: int, seconds: float) -> None:
    assert backoff(attempts, 30, 3600) == seconds


# --- reminders as WeCom cards (issue 14) ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "unit", "offered"),
    [
        (Kind.REPORT_DUE, "u1", True),
        (Kind.LEVEL_CHANGED, "u2", True),
        (Kind.DEADLINE_NEAR, "u1", True),
        (Kind.RED_CHASE, "u1", True),
        (Kind.LEVEL_CHANGED, None, False),  # a leader: nothing to report
        (Kind.REPORT_DUE, "u9", False),  # someone of a unit the reminder does not concern
        (Kind.RED_ESCALATION, "u1", False),
        (Kind.NOTICE_UNACKED, "u1", False),  # the notice card carries 已阅 already
        (Kind.ITEM_CHANGED, "u1", False),
    ],
)
def test_report_jump_only_for_the_concerned_units_people(
    kind: Kind, unit: str | None, offered: bool
) -> None:
    assert offers_report(kind, unit, ("u1", "u2")) is offered


def test_one_wire_message_is_plain_or_one_items_card() -> None:
    a, b = report_link("item-a"), report_link("item-b")
    assert same_link_run([]) == 0
    assert same_link_run([None, None, a, None]) == 2
    assert same_link_run([a, a, b, a]) == 2
    assert same_link_run([b]) == 1


def test_reminder_card_keeps_the_text_and_jumps_to_the_mobile_report_page() -> None:
    text = "【督查提醒】DB-2018-0001 市政重点工程：本期进度尚未报送，请于2018-06-29前报送。"
    card = resolve_links(
        reminder_card("督查提醒：请报送进度", text, report_link("abc")), "https://d.gov.cn/m/"
    )
    assert card["card_type"] == "text_notice" and card["sub_title_text"] == text
    assert card["jump_list"] == [
        {"type": 1, "title": "去汇报", "url": "https://d.gov.cn/m/items/abc"}
    ]
    assert card["card_action"]["url"] == "https://d.gov.cn/m/items/abc"
