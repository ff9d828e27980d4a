"""Every reminder text against the house style (one row per reason and variant).

The seed's message: "你辖区***市政重点工程急需解决问题,请督查员进行进度汇报(时限:2018-06-14)":
the unit, the item (code and title), what to do and the time limit, once — here with
full-width punctuation, and 今日 for a limit that falls today.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial

import pytest

from services.alerts.reminders import messages as m
from services.alerts.rules.domain import ASKS_NOTHING, DEFAULT_TEMPLATES, check_template
from services.core.errors import ValidationFailed

D = date.fromisoformat
ITEM = m.ItemText("DB-2018-0001", "市政重点工程", D("2018-06-20"), "金水源街道")
TODAY = D("2018-06-13")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
HALF = re.compile(r"[,:;!?()]")

# name: (make the message, the unit it names, asks for something (a time limit), limit)
CASES: dict[str, tuple[Callable[[], m.Message], str, str | None]] = {
    "level GREEN": (
        lambda: m.level_changed(ITEM, "BLUE", "GREEN", "", TODAY),
        "金水源街道",
        "2018-06-20",
    ),
    "level BLUE first": (
        lambda: m.level_changed(ITEM, None, "BLUE", "已连续 12 个工作日无进度", TODAY),
        "金水源街道",
        "2018-06-14",
    ),
    "level YELLOW": (
        lambda: m.level_changed(ITEM, "GREEN", "YELLOW", "进度滞后：已报 10%，计划 40%", TODAY),
        "金水源街道",
        "2018-06-14",
    ),
    "level RED (reason names the deadline: not repeated)": (
        lambda: m.level_changed(
            ITEM, "YELLOW", "RED", "已超过办理时限 2018-06-12，尚未办结", TODAY
        ),
        "金水源街道",
        "2018-06-14",
    ),
    "deadline in 3 days": (lambda: m.deadline_near(ITEM, 3, TODAY), "金水源街道", "2018-06-20"),
    "deadline today": (lambda: m.deadline_near(ITEM, 0, D("2018-06-20")), "金水源街道", "今日"),
    "report due today": (
        lambda: m.report_due(ITEM, "区住建局", TODAY, TODAY),
        "区住建局",
        "今日",
    ),
    "report due later": (
        lambda: m.report_due(ITEM, "区住建局", D("2018-06-15"), TODAY),
        "区住建局",
        "2018-06-15",
    ),
    "red chase": (lambda: m.red_chase(ITEM, 3, D("2018-06-25")), "金水源街道", "2018-06-26"),
    "red escalation": (lambda: m.red_escalation(ITEM, 4, TODAY), "金水源街道", "2018-06-14"),
    "notice unacknowledged": (
        lambda: m.notice_unacked(ITEM, "金水源街道", "督通〔2018〕3号", D("2018-06-14"), TODAY),
        "金水源街道",
        "2018-06-14",
    ),
    "notice escalation": (
        lambda: m.notice_escalation(ITEM, "金水源街道", "督通〔2018〕3号", 3, TODAY),
        "金水源街道",
        "2018-06-14",
    ),
}
for _what in (
    "OWNER_ADDED",
    "LEADER_ADDED",
    "OWNER_REMOVED",
    "LEADER_REMOVED",
    "UNIT_ADDED",
    "UNIT_REMOVED",
    "TRANSFERRED_IN",
    "TRANSFERRED_OUT",
    "DEADLINE_RESET",
):
    CASES[f"changed {_what}"] = (
        partial(
            m.changed,
            _what,
            ITEM,
            "西城街道",
            TODAY,
            {"reason": "职责调整。", "to_unit_name": "东城街道"},
        ),
        "西城街道",
        None if _what in ASKS_NOTHING else "2018-06-20",
    )


ANY = object()  # the limit is not known to the caller: any date or 今日 (once)


def assert_house_style(
    title: str,
    body: str,
    item: str = "DB-2018-0001“市政重点工程”",
    units: str | set[str] = "金水源街道",
    limit: str | object | None = ANY,
) -> None:
    """One text against the house style: a header, the unit (one of ``units``), the item
    (code and “title”), full-width punctuation, and — when it asks for something — the
    time limit once, at the end, as the only date (``limit`` None: it asks nothing)."""
    assert body.startswith(m.HEADERS), body
    assert body.endswith("。"), body
    assert not HALF.search(body), f"half-width punctuation: {body}"
    assert not HALF.search(title), title
    named = {units} if isinstance(units, str) else units
    assert any(f"{u}：" in body for u in named), (named, body)
    assert item in body, body
    asks = "请" in body
    if limit is None or not asks:
        assert limit is None or limit is ANY, f"asks for nothing: {body}"
        assert "时限" not in body and not asks, body
        assert not DATE.search(body), body
        return
    assert body.count("（时限：") == 1, body
    found = re.search(r"（时限：([^）]*)）。$", body)
    assert found, f"the limit is not at the end: {body}"
    stated = found.group(1)
    assert stated == "今日" or DATE.fullmatch(stated), body
    if limit is not ANY:
        assert stated == limit, body
    # the limit is the only date in the text, written once
    assert DATE.findall(body) == ([] if stated == "今日" else [stated]), body


@pytest.mark.parametrize("name", list(CASES))
def test_every_text_follows_the_house_style(name: str) -> None:
    make, unit, limit = CASES[name]
    msg = make()
    assert_house_style(msg.title, msg.body, units=unit, limit=limit)


def test_a_limit_that_falls_today_reads_today() -> None:
    body = m.report_due(ITEM, "区住建局", TODAY, TODAY).body
    assert "今日" in body and TODAY.isoformat() not in body


@pytest.mark.parametrize("name", list(DEFAULT_TEMPLATES))
def test_every_default_template_passes_its_own_check(name: str) -> None:
    assert check_template(name, DEFAULT_TEMPLATES[name]) == DEFAULT_TEMPLATES[name]


@pytest.mark.parametrize(
    "bad",
    [
        "督查提醒{unit}：{code}“{title}”请报送（时限：{deadline}）。",  # no header
        "【督查提醒】{unit}：{code}“{title}”，请报送进度。",  # asks without a limit
        "【督查提醒】{unit}：{code}“{title}”，请报送（时限：{deadline}）（时限：{deadline}）。",
        "【督查提醒】{unit}：{code}“{title}”,请报送进度（时限：{deadline}）。",  # half-width
        "【督查提醒】{unit}：{code}“{title}”，请报送进度（时限：{deadline}）{limit}。",  # unknown
        "【督查提醒】{code}“{title}”，请报送进度（时限：{deadline}）。",  # no unit
        "【督查提醒】{unit}：“{title}”，请报送进度（时限：{deadline}）。",  # no code
        "【督查提醒】{unit}：{code}，请报送进度（时限：{deadline}）。",  # no title
        "【督查提醒】{unit}：{code}“{title}”，报送进度（时限：{deadline}）。",  # asks nothing
        "【督查提醒】{unit}：{code}“{title}”，请报送进度（时限：{deadline}）",  # no full stop
        "【督查提醒】{unit}：{code}“{title}”，请报送进度（时限：{deadline:>20}）。",  # a spec
        "【督查提醒】{unit.__class__}：{code}“{title}”，请报送（时限：{deadline}）。",
        "【督查提醒】{unit}：{code}“{title}”，请报送进度（时限：{deadline}。",  # unbalanced
        "【督查提醒】{unit}：{code}“{title}”，请报送进度{（时限：{deadline}）。",
        "   ",  # empty
        "【督查提醒】{unit}：{code}“{title}”" + "很长" * 150 + "，请报送（时限：{deadline}）。",
    ],
)
def test_a_template_out_of_style_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_template("REPORT_DUE", bad)
    assert refused.value.field == "templates.REPORT_DUE"


def test_a_text_that_releases_someone_may_not_state_a_limit() -> None:
    text = "【督查提醒】{unit}：{code}“{title}”已转办{to_unit}，请配合交接（时限：{deadline}）。"
    with pytest.raises(ValidationFailed, match="占位符"):
        check_template("TRANSFERRED_OUT", text)
    with pytest.raises(ValidationFailed, match="没有名为"):
        check_template("NO_SUCH", text)


def test_a_saved_wording_is_what_goes_out() -> None:
    mine = {
        "REPORT_DUE": "【督查提醒】请{unit}督查员报送{code}“{title}”本期进度（时限：{deadline}）。"
    }
    body = m.report_due(ITEM, "区住建局", TODAY, TODAY, mine).body
    assert (
        body == "【督查提醒】请区住建局督查员报送DB-2018-0001“市政重点工程”本期进度（时限：今日）。"
    )
    # the other texts keep their default wording
    assert m.red_chase(ITEM, 2, TODAY, mine).body == m.red_chase(ITEM, 2, TODAY).body


def test_digest_counts_items_per_colour() -> None:
    other = m.ItemText("DB-2018-0002", "道路改造", D("2018-06-20"), "金水源街道")
    bodies = [
        m.level_changed(ITEM, "YELLOW", "RED", "", TODAY).body,
        m.red_chase(ITEM, 2, TODAY).body,  # same item: counted once
        m.red_chase(other, 2, TODAY).body,
        m.level_changed(other, None, "BLUE", "无进度", TODAY).body,
        m.report_due(ITEM, "区住建局", TODAY, TODAY).body,
    ]
    header = m.digest(bodies).splitlines()[0]
    assert header == "【督查提醒汇总】共5条提醒，其中红色2项、蓝色1项："
