"""The supervision office's desktop pages in a real browser (issue 12): the ledger exported
from the console and imported again with the row counts in the summary (test 6), then a walk
through the board's server-side colour filter and saved views, the full 立项交办 form with its
duplicate confirmation, the item page's history with names and the office's moves, the
verification queue, notices, statistics, alert rules and the notification log — each with no
console errors and no serious or critical axe-core violations. Tests run in order and share
the `world`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, Request, ViewportSize, expect

from services.core.clock import today as shanghai_today
from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, token
from tests.tasks.support import make_item, make_person, make_unit
from tests.web.conftest import screenshot, serious_axe_violations

pytestmark = pytest.mark.asyncio(loop_scope="module")

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
REPORTED = "背街小巷整治进度"
DONE = "老旧小区加装电梯"
LATE = "农贸市场改造提升"
DEAD_TITLE = "督查提醒：农贸市场改造提升已逾期"


@dataclass
class World:
    origin: str
    api: GraphQLClient
    settings: Settings
    unit_a: str = ""
    unit_b: str = ""
    office: str = ""
    leader: str = ""
    sup_a: str = ""
    head_a: str = ""
    reported: str = ""
    done: str = ""
    late: str = ""
    page: Page | None = None
    console_errors: list[str] = field(default_factory=list)

    def as_person(self, person: str, roles: list[str], unit: str | None) -> GraphQLClient:
        return self.api.as_(
            token(self.settings, roles[0], subject=person, units=[unit] if unit else [])
        )


async def ok(client: GraphQLClient, mutation: str, field_name: str, i: dict[str, Any]) -> None:
    data = await client(mutation, {"i": i})
    assert data[field_name]["__typename"].endswith("Success"), data


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(web_stack: Stack, settings: Settings) -> AsyncIterator[World]:
    today = shanghai_today()
    async with httpx.AsyncClient(timeout=30) as http:
        api = GraphQLClient(http, web_stack.gateway_url, token(settings))
        w = World(web_stack.gateway_url.removesuffix("/graphql"), api, settings)
        w.unit_a = await make_unit(api, "甲街道")
        w.unit_b = await make_unit(api, "乙街道")
        w.office = await make_person(api, None, "王督查", ["SUPERVISION_OFFICE"])
        w.leader = await make_person(api, None, "陈区长", ["LEADER"])
        w.sup_a = await make_person(api, w.unit_a, "李甲", ["UNIT_SUPERVISOR"])
        w.head_a = await make_person(api, w.unit_a, "周甲", ["UNIT_HEAD"])
        start, end = (today - timedelta(days=28)).isoformat(), (today + timedelta(days=28))
        common = {"startDate": start, "responsibleLeaderId": w.leader}
        w.reported = await make_item(
            api, w.unit_a, title=REPORTED, deadline=end.isoformat(), **common
        )
        w.done = await make_item(api, w.unit_a, title=DONE, deadline=end.isoformat(), **common)
        w.late = await make_item(
            api,
            w.unit_b,
            title=LATE,
            deadline=(today - timedelta(days=1)).isoformat(),
            startDate=(today - timedelta(days=60)).isoformat(),
        )
        sup = w.as_person(w.sup_a, ["UNIT_SUPERVISOR"], w.unit_a)
        sign = "mutation ($i: AssignmentInput!) { assignmentSign(input: $i) { __typename } }"
        report = (
            "mutation ($i: ItemReportProgressInput!) {"
            " itemReportProgress(input: $i) { __typename } }"
        )
        for item in (w.reported, w.done):
            await ok(sup, sign, "assignmentSign", {"itemId": item, "unitId": w.unit_a})
        await ok(
            sup,
            report,
            "itemReportProgress",
            {"itemId": w.reported, "unitId": w.unit_a, "percent": 40, "narrative": "完成4条街巷"},
        )
        await ok(
            sup,
            "mutation ($i: ExtensionRequestInput!) { extensionRequest(input: $i) { __typename } }",
            "extensionRequest",
            {
                "itemId": w.reported,
                "unitId": w.unit_a,
                "newDeadline": (end + timedelta(days=14)).isoformat(),
                "reason": "施工受雨季影响",
            },
        )
        await ok(
            sup,
            report,
            "itemReportProgress",
            {"itemId": w.done, "unitId": w.unit_a, "percent": 100, "narrative": "电梯已投用"},
        )
        await ok(
            sup,
            "mutation ($i: CompletionRequestInput!) { completionRequest(input: $i) { __typename } }",
            "completionRequest",
            {"itemId": w.done, "unitId": w.unit_a, "summary": "12部电梯全部投用"},
        )
        # a message its channel gave up on (投递失败): only a failing WeCom or mail server
        # makes one, so it is written as the delivery service leaves it
        conn = await asyncpg.connect(
            settings.require_database_url(), server_settings={"search_path": "alerts,public"}
        )
        try:
            await conn.execute(
                "INSERT INTO notifications (dedupe_key, reason_key, kind, channel, item_id,"
                " person_id, address, title, body, state, attempts, last_error)"
                " VALUES ('web-test-dead', 'web-test', 'RED_CHASE', 'EMAIL', $1, $2,"
                " 'zhou@example.invalid', $3, '请尽快办理', 'DEAD', 5, '550 mailbox unavailable')",
                uuid.UUID(w.late),
                uuid.UUID(w.head_a),
                DEAD_TITLE,
            )
        finally:
            await conn.close()
        yield w


def watch_console(page: Page, w: World) -> Page:
    page.on("pageerror", lambda e: w.console_errors.append(f"{page.url}: {e}"))
    page.on(
        "console",
        lambda m: w.console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
    )
    return page


async def office_page(browser: Browser, w: World) -> Page:
    if w.page is None:
        ctx = await browser.new_context(
            viewport=DESKTOP,
            locale="zh-CN",
            timezone_id="Europe/London",
            bypass_csp=True,  # only so axe-core can be injected
            accept_downloads=True,
        )
        page = watch_console(await ctx.new_page(), w)
        await page.goto(f"{w.origin}/signin")
        await page.get_by_role("button", name="王督查").click()
        await page.wait_for_url(lambda url: "/signin" not in url)
        w.page = page
    return w.page


async def check_page(page: Page, shots: Path, name: str) -> None:
    # Element Plus's loading mask fades out after the data arrived; a date picker's panel
    # after its value was chosen
    await page.wait_for_function("!document.querySelector('.el-loading-mask')")
    await expect(page.locator(".el-picker__popper:visible")).to_have_count(0)
    await screenshot(page, shots, name)
    violations = await serious_axe_violations(page)
    for v in violations:
        for target in v["nodes"]:  # type: ignore[attr-defined]
            v.setdefault("html", []).append(  # type: ignore[attr-defined]
                await page.evaluate(
                    "t => { const e = document.querySelector(t);"
                    " return e ? [e.className, getComputedStyle(e).display,"
                    " getComputedStyle(e).opacity, e.outerHTML.slice(0, 200)] : null }",
                    target,
                )
            )
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


async def pick(page: Page, select_testid: str, option: str) -> None:
    await page.get_by_test_id(select_testid).click()
    await page.locator(f".dd-{select_testid} .el-select-dropdown__item", has_text=option).click()


async def count_items(w: World) -> int:
    total, after = 0, None
    while True:
        data = await w.api(
            "query ($a: String) { items(first: 200, after: $a) {"
            " nodes { id } pageInfo { hasNextPage endCursor } } }",
            {"a": after},
        )
        total += len(data["items"]["nodes"])
        if not data["items"]["pageInfo"]["hasNextPage"]:
            return total
        after = data["items"]["pageInfo"]["endCursor"]


async def test_ledger_export_and_reimport_shows_row_counts(
    browser: Browser, world: World, shots: Path, tmp_path: Path
) -> None:
    w = world
    page = await office_page(browser, w)
    expected = await count_items(w)
    await page.goto(f"{w.origin}/console/ledger")
    async with page.expect_download() as download_info:
        await page.get_by_test_id("export").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    ledger = tmp_path / download.suggested_filename
    await download.save_as(ledger)
    summary = page.get_by_test_id("export-summary")
    await expect(summary.get_by_test_id("export-rows")).to_have_text(str(expected))

    # the same file back in: every row looks like an open item (重复督查) until confirmed
    await page.get_by_test_id("import-file").set_input_files(ledger)
    await page.get_by_test_id("import").click()
    duplicates = page.get_by_test_id("import-duplicates")
    await expect(duplicates).to_contain_text(f"{expected} 行与在办事项相同或相似")
    await page.get_by_test_id("import-confirm").click()
    done = page.get_by_test_id("import-summary")
    await expect(done).to_contain_text(f"导入完成：新建 {expected} 项事项")
    await expect(done.get_by_role("link", name=DONE)).to_be_visible()
    assert await count_items(w) == 2 * expected
    await check_page(page, shots, "office-ledger")


async def test_board_filters_colour_on_the_server_and_saves_views(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    page = await office_page(browser, w)
    await page.goto(f"{w.origin}/console/board")
    board = page.get_by_test_id("board")
    await expect(board.get_by_role("link", name=LATE).first).to_be_visible()

    asked: list[str] = []

    def keep(request: Request) -> None:
        if "/graphql" in request.url and request.post_data:
            asked.append(request.post_data)

    page.on("request", keep)
    await pick(page, "level", "红·逾期未办")
    await expect(board.get_by_role("link", name=LATE).first).to_be_visible()
    await expect(board.get_by_role("link", name=REPORTED)).to_have_count(0)
    page.remove_listener("request", keep)
    assert any("alertedItems" in body and '"RED"' in body for body in asked), asked
    for tag in await board.locator(".level-tag").all():
        assert (await tag.inner_text()).strip() == "红"

    await page.get_by_label("方案名称").fill("红色事项")
    await page.get_by_test_id("save-view").click()
    await page.reload()
    await pick(page, "views", "红色事项")
    await expect(board.get_by_role("link", name=REPORTED)).to_have_count(0)
    await expect(board.get_by_role("link", name=LATE).first).to_be_visible()
    assert await page.evaluate("Object.keys(localStorage).length") == 0
    await check_page(page, shots, "office-board-red")


async def test_create_form_with_leader_plan_nodes_and_duplicate_confirmation(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    page = await office_page(browser, w)
    await page.goto(f"{w.origin}/console/items/new")
    await expect(page.get_by_test_id("add-node")).to_be_visible()
    # axe before any date picker opened: a closing picker's panel is a nameless dialog for
    # the moment of its fade-out (Element Plus)
    await check_page(page, shots, "office-create-empty")
    await page.get_by_label("事项名称").fill(REPORTED)  # an open item has this title
    await pick(page, "lead-unit", "甲街道")
    await pick(page, "leader", "陈区长")
    today = shanghai_today()
    start = page.get_by_label("开始日期")
    await start.fill(today.isoformat())
    await start.press("Enter")
    deadline = page.get_by_label("办理时限")
    await deadline.fill((today + timedelta(days=60)).isoformat())
    await deadline.press("Enter")
    await page.get_by_test_id("add-node").click()
    node = page.get_by_label("第1个节点日期")
    await node.fill((today + timedelta(days=30)).isoformat())
    await node.press("Enter")
    percent = page.get_by_label("第1个节点进度（%）")
    await percent.fill("50")
    await percent.press("Tab")
    await screenshot(page, shots, "office-create")

    await page.get_by_test_id("submit").click()
    dialog = page.get_by_test_id("duplicate-dialog")
    await expect(dialog).to_contain_text("疑似重复督查")
    await expect(dialog).to_contain_text(REPORTED)
    await page.get_by_test_id("confirm-duplicate").click()
    await expect(page.get_by_test_id("item-detail")).to_be_visible()
    await expect(page.get_by_test_id("item-detail")).to_contain_text("应完成 50%")
    await expect(page.get_by_test_id("item-detail")).to_contain_text("陈区长")


async def test_item_page_history_names_and_office_moves(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    page = await office_page(browser, w)
    await page.goto(f"{w.origin}/console/items/{w.reported}")
    detail = page.get_by_test_id("item-detail")
    history = page.get_by_test_id("history")
    await expect(history).to_contain_text("立项交办")
    await expect(history).to_contain_text("李甲")  # who signed and reported, by name
    await expect(page.get_by_test_id("reports")).to_contain_text("李甲")
    assert w.sup_a not in await history.inner_text()

    # 调整时限: the reason is the API's to demand, shown beside its field
    await page.get_by_role("button", name="调整时限").click()
    dialog = page.get_by_test_id("move-dialog")
    new_deadline = dialog.get_by_label("新的时限")
    await new_deadline.fill((shanghai_today() + timedelta(days=40)).isoformat())
    await new_deadline.press("Enter")
    await dialog.get_by_test_id("move-submit").click()
    await expect(dialog.locator(".el-form-item__error")).to_be_visible()
    await dialog.get_by_label("调整理由").fill("区长批示：结合雨季顺延")
    await dialog.get_by_test_id("move-submit").click()
    await expect(dialog).to_be_hidden()
    await expect(detail).to_contain_text("区长批示：结合雨季顺延")
    await expect(history).to_contain_text("调整时限")

    # 下发通知单 to the unit's head, then print it
    await page.get_by_role("button", name="下发通知单").click()
    dialog = page.get_by_test_id("move-dialog")
    await expect(dialog).to_contain_text("周甲")
    await dialog.get_by_test_id("move-submit").click()
    await expect(dialog).to_be_hidden()
    notice = page.get_by_test_id("notice")
    await expect(notice).to_contain_text("未签收")
    async with page.expect_download() as download_info:
        await notice.get_by_test_id("print-notice").click()
    assert (await download_info.value).suggested_filename.endswith(".docx")
    await check_page(page, shots, "office-item-moves")


async def test_item_edit_transfer_and_instruction_on_behalf(browser: Browser, world: World) -> None:
    w = world
    page = await office_page(browser, w)
    await page.goto(f"{w.origin}/console/items/{w.late}")
    detail = page.get_by_test_id("item-detail")
    history = page.get_by_test_id("history")
    await expect(detail).to_contain_text("乙街道")

    await page.get_by_role("button", name="修改").click()
    dialog = page.get_by_test_id("move-dialog")
    await dialog.get_by_label("工作内容").fill("改造提升3个农贸市场，完善排水和消防设施。")
    await dialog.get_by_text("每月").click()
    await dialog.get_by_test_id("move-submit").click()
    await expect(dialog).to_be_hidden()
    await expect(detail).to_contain_text("完善排水和消防设施")
    await expect(history).to_contain_text("修改事项")

    await page.get_by_role("button", name="转办").click()
    dialog = page.get_by_test_id("move-dialog")
    await dialog.get_by_test_id("move-submit").click()  # no unit chosen, no reason
    await expect(dialog.locator(".el-form-item__error").first).to_be_visible()
    await dialog.get_by_label("转至单位").click()
    await page.locator(".el-select-dropdown__item:visible", has_text="甲街道").click()
    await dialog.get_by_label("转办理由").fill("市场产权属甲街道")
    await dialog.get_by_test_id("move-submit").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_test_id("assignments")).to_contain_text(
        "转办至甲街道：市场产权属甲街道"
    )
    await expect(history).to_contain_text("转办")

    await page.get_by_role("button", name="代录批示").click()
    dialog = page.get_by_test_id("move-dialog")
    await dialog.get_by_label("批示领导").click()
    await page.locator(".el-select-dropdown__item:visible", has_text="陈区长").click()
    await dialog.get_by_label("批示内容").fill("请甲街道牵头，月底前拿出方案。")
    await dialog.get_by_test_id("move-submit").click()
    await expect(dialog).to_be_hidden()
    instructions = page.get_by_test_id("instructions")
    await expect(instructions).to_contain_text("陈区长")
    await expect(instructions).to_contain_text("王督查代录，待领导确认")


async def test_queue_verifies_completion_and_decides_extension(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    page = await office_page(browser, w)
    await page.goto(f"{w.origin}/console/queue")
    completions = page.get_by_test_id("queue-completions")
    await expect(completions).to_contain_text(DONE)
    await check_page(page, shots, "office-queue")

    await completions.get_by_role("button", name="核实办结").click()
    dialog = page.get_by_test_id("decision-dialog")
    await dialog.locator(".el-switch").click()
    await dialog.get_by_label("核查地点").fill("甲街道幸福小区")
    await dialog.get_by_label("参加人员").fill("王督查、周甲")
    await dialog.get_by_label("核查结果").fill("12部电梯均已投用")
    await dialog.get_by_test_id("decision-submit").click()
    await expect(dialog).to_be_hidden()
    await expect(completions).not_to_contain_text(DONE)

    await page.get_by_role("tab", name="延期审批（1）").click()
    extensions = page.get_by_test_id("queue-extensions")
    await extensions.get_by_role("button", name="驳回").click()
    dialog = page.get_by_test_id("decision-dialog")
    await dialog.get_by_test_id("decision-submit").click()
    await expect(dialog.locator(".el-form-item__error")).to_be_visible()  # a reason is needed
    await dialog.get_by_label("意见").fill("请按原时限加快推进")
    await dialog.get_by_test_id("decision-submit").click()
    await expect(dialog).to_be_hidden()
    await expect(extensions).not_to_contain_text(REPORTED)

    await page.get_by_role("tab", name="催办").click()
    chase = page.get_by_test_id("queue-chase")
    await expect(chase).to_contain_text(LATE)
    await expect(chase).to_contain_text("红")
    await chase.get_by_role("button", name="催办").first.click()
    await page.get_by_role("dialog").get_by_role("button", name="催办").click()
    await expect(chase).to_contain_text("1 次")

    data = await w.api(
        "query ($i: ID!) { item(id: $i) { verifications { approved onSite"
        " inspection { place } } } }",
        {"i": w.done},
    )
    assert data["item"]["verifications"] == [
        {"approved": True, "onSite": True, "inspection": {"place": "甲街道幸福小区"}}
    ]


async def test_notices_statistics_rules_and_log_pages(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    page = await office_page(browser, w)

    await page.goto(f"{w.origin}/console/notices")
    await expect(page.get_by_test_id("notices")).to_contain_text("0 / 1 已签收")
    await check_page(page, shots, "office-notices")

    await page.goto(f"{w.origin}/console/statistics")
    await expect(page.get_by_test_id("stats-table")).to_contain_text("重点工作")
    await expect(page.get_by_test_id("stats-chart").locator("canvas")).to_be_attached()
    await expect(page.get_by_test_id("colour-counts")).to_contain_text("红")
    await check_page(page, shots, "office-statistics")

    await page.goto(f"{w.origin}/console/alert-rules")
    form = page.get_by_test_id("rule-form")
    tolerance = form.get_by_label("容差（百分点）")
    await tolerance.fill("12")
    await tolerance.blur()
    await form.get_by_test_id("rule-save").click()
    await expect(page.get_by_test_id("alert-rules")).to_contain_text("王督查")
    rules = (await w.api("{ alertRules { source lagTolerance } }"))["alertRules"]
    assert {"source": "DEFAULT", "lagTolerance": 12} in rules
    # the units' robots: listed without their keys; setting one shows it as set at once
    robots = page.get_by_test_id("robots")
    row = robots.locator("tbody tr", has_text="乙街道")
    await expect(row).to_contain_text("未设置")
    await row.get_by_role("button", name="选择").click()
    robot_form = page.get_by_test_id("robot-form")
    await robot_form.get_by_label("机器人 key").fill("robot-key-yi-0001")
    await robot_form.get_by_role("button", name="保存").click()
    await expect(page.get_by_test_id("robot-result")).to_contain_text("乙街道：已设置群机器人")
    await expect(row).to_contain_text("已设置")
    await expect(row).to_contain_text("督查办在此设置")
    await expect(page.locator("body")).not_to_contain_text("robot-key-yi-0001")
    await check_page(page, shots, "office-alert-rules")

    # 提醒文字: a half-width comma is refused beside the text; the fixed wording is in force
    await page.goto(f"{w.origin}/console/reminder-texts")
    texts = page.get_by_test_id("reminder-texts")
    report_due = texts.locator("[data-key=REPORT_DUE]")
    box = report_due.get_by_label("请报送进度")
    await expect(box).to_have_value(re.compile("本期进度尚未报送"))
    wording = "【督查提醒】{unit}：{code}“{title}”本期进度还没有报送{sep}请督查员尽快报送进度（时限：{deadline}）。"
    await box.fill(wording.replace("{sep}", ","))
    await page.get_by_test_id("texts-save").click()
    await expect(report_due).to_contain_text("全角标点")
    rules = (await w.api("{ alertReminderRules { version } }"))["alertReminderRules"]
    assert rules["version"] == 0, "a refused text changes nothing"
    await box.fill(wording.replace("{sep}", "，"))
    await page.get_by_test_id("texts-save").click()
    await expect(page.get_by_role("heading", name="提醒文字")).to_contain_text("第 1 版")
    await expect(report_due).not_to_contain_text("全角标点")
    saved = (await w.api("{ alertReminderRules { templates { key text } } }"))[
        "alertReminderRules"
    ]["templates"]
    assert {"key": "REPORT_DUE", "text": wording.replace("{sep}", "，")} in saved
    await check_page(page, shots, "office-reminder-texts")

    await page.goto(f"{w.origin}/console/notifications")
    log = page.get_by_test_id("notification-log")
    dead = log.locator("tbody tr", has_text=DEAD_TITLE)  # the dead ones are listed first
    await expect(dead).to_contain_text("投递失败")
    await expect(dead).to_contain_text("周甲")
    await expect(dead).to_contain_text("550 mailbox unavailable")
    await dead.get_by_role("button", name="重发").click()
    await expect(page.get_by_role("status")).to_contain_text("已重新排队 1 条消息")
    await expect(dead).to_have_count(0)
    states = (await w.api("{ notificationLog(first: 200) { title state attempts } }"))[
        "notificationLog"
    ]
    again = next(n for n in states if n["title"] == DEAD_TITLE)
    assert again["state"] != "DEAD" and again["attempts"] <= 1, again
    await pick(page, "log-state", "已送达")
    sent = (await w.api("{ notificationLog(state: SENT, first: 200) { id } }"))["notificationLog"]
    await expect(log.locator("tbody tr")).to_have_count(len(sent))
    await check_page(page, shots, "office-notifications")


async def test_no_uncaught_errors_in_the_console(world: World) -> None:
    assert not world.console_errors, world.console_errors
