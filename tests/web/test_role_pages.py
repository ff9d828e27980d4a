"""The pages of everyone but the supervision office, in a real browser (issue 12): a unit
supervisor's phone pages at 390×844 (return with a reason, extension and completion requests,
a notice acknowledged, the inbox), a leader confirming an instruction recorded in their name
and giving one, a cadre asking for an exemption the office (考评办) grants, and the evaluation
pages (a period created, rankings, a veto, flags, rule sets, an xlsx export, the period
closed and frozen). Every page: no console errors and axe-core 0 serious/critical. Tests run
in order and share the `world`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, ViewportSize, expect

from services.core.auth import mint_token
from services.core.clock import today as shanghai_today
from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, token, wait_for
from tests.tasks.support import make_item, make_person, make_unit
from tests.web.conftest import screenshot, serious_axe_violations

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
RETURNED = "不属于甲街道职责的道路维修"
WORKING = "推进农贸市场提升改造"
LED = "推进老旧小区加装电梯"
OVERDUE = "整治河道沿岸违建"
RESET = "推进公厕提档升级"


@dataclass
class World:
    origin: str
    api: GraphQLClient
    settings: Settings
    ids: dict[str, str] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)

    def as_person(self, person: str, roles: list[str], unit: str | None) -> GraphQLClient:
        bearer = mint_token(self.settings, person, roles, [unit] if unit else [], "测试")
        return self.api.as_(bearer)


async def _ok(api: GraphQLClient, mutation: str, input_type: str, **fields: Any) -> Any:
    data = await api(
        f"mutation ($i: {input_type}!) {{ {mutation}(input: $i) {{ __typename"
        " ... on UserError { message } } }",
        {"i": fields},
    )
    assert "message" not in data[mutation], data
    return data[mutation]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(web_stack: Stack, settings: Settings) -> AsyncIterator[World]:
    today = shanghai_today()
    async with httpx.AsyncClient(timeout=30) as http:
        api = GraphQLClient(http, web_stack.gateway_url, token(settings))
        w = World(web_stack.gateway_url.removesuffix("/graphql"), api, settings)
        ids = w.ids
        ids["a"] = await make_unit(api, "甲街道")
        ids["b"] = await make_unit(api, "乙街道")
        ids["office"] = await make_person(api, None, "王督查", ["SUPERVISION_OFFICE"])
        ids["sup"] = await make_person(api, ids["a"], "李甲", ["UNIT_SUPERVISOR"])
        ids["leader"] = await make_person(api, None, "陈区长", ["LEADER"])
        ids["cadre"] = await make_person(api, ids["a"], "吴干部", ["CADRE"])
        ids["returned"] = await make_item(api, ids["a"], title=RETURNED)
        ids["reset"] = await make_item(api, ids["a"], title=RESET)
        ids["working"] = await make_item(api, ids["a"], title=WORKING, ownerIds=[ids["cadre"]])
        ids["led"] = await make_item(api, ids["b"], title=LED, responsibleLeaderId=ids["leader"])
        # overdue from the start: RED, a penalty on its owner's file
        ids["overdue"] = await make_item(
            api,
            ids["b"],
            title=OVERDUE,
            ownerIds=[ids["cadre"]],
            startDate=(today - timedelta(days=60)).isoformat(),
            deadline=(today - timedelta(days=3)).isoformat(),
        )
        notice = await api(
            "mutation ($i: NoticeIssueInput!) { noticeIssue(input: $i) {"
            " __typename ... on NoticeIssueSuccess { notice { code } } } }",
            {
                "i": {
                    "itemId": ids["working"],
                    "recipients": [{"personId": ids["sup"], "role": "UNIT_SUPERVISOR"}],
                    "responseDeadline": (today + timedelta(days=5)).isoformat(),
                    "content": "请于5日内报送农贸市场改造进展。",
                }
            },
        )
        ids["notice"] = notice["noticeIssue"]["notice"]["code"]
        await _ok(
            api,
            "instructionRecord",
            "InstructionRecordInput",
            itemId=ids["led"],
            leaderId=ids["leader"],
            content="加快进度，确保年底前完工。",
            instructedOn=today.isoformat(),
        )
        yield w


def watch_console(page: Page, w: World, name: str) -> Page:
    page.on("pageerror", lambda e: w.console_errors.append(f"{name}: {e}"))
    page.on(
        "console",
        lambda m: w.console_errors.append(f"{name}: {m.text}") if m.type == "error" else None,
    )
    return page


async def signed_in(
    browser: Browser, w: World, name: str, person_name: str, viewport: ViewportSize
) -> Page:
    ctx = await browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Europe/London",
        bypass_csp=True,
        accept_downloads=True,
    )
    page = watch_console(await ctx.new_page(), w, name)
    await page.goto(f"{w.origin}/signin")
    await page.get_by_role("button", name=person_name).click()
    await page.wait_for_url(lambda url: "/signin" not in url)
    w.pages[name] = page
    return page


async def choose(page: Page, scope: Locator, name: str, option: str) -> None:
    """Pick an option of the Element Plus select whose input is labelled `name` (in its own
    dropdown: the input's aria-controls names it, another select's may still be fading)."""
    box = page.get_by_role("combobox", name=name, exact=True)
    await scope.locator(".el-select", has=box).click()
    listbox = (
        await scope.locator(".el-select", has=box)
        .get_by_role("combobox")
        .get_attribute("aria-controls")
    )
    await page.locator(f'[id="{listbox}"] .el-select-dropdown__item', has_text=option).click()


async def no_serious_violations(page: Page) -> None:
    violations = await serious_axe_violations(page)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


async def test_phone_pages_return_extend_complete_acknowledge_inbox(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    phone = await signed_in(browser, w, "phone", "李甲", PHONE)
    items = phone.get_by_test_id("my-items")
    await expect(items).to_contain_text(WORKING)
    await expect(items).to_contain_text(RETURNED)
    await no_serious_violations(phone)

    # 退回: the reason is required, beside its field
    await items.get_by_text(RETURNED).click()
    await phone.get_by_test_id("return-open").click()
    form = phone.get_by_test_id("return-form")
    await form.get_by_test_id("submit-return").click()
    await expect(form).to_contain_text("请填写退回理由")
    await form.get_by_label("退回理由").fill("该路段属乙街道管辖，建议改派。")
    await form.get_by_test_id("submit-return").click()
    await expect(phone.get_by_role("status")).to_contain_text("已退回")
    await expect(phone.get_by_text("该路段属乙街道管辖，建议改派。")).to_be_visible()
    assert await phone.get_by_test_id("sign").count() == 0

    # 签收, then 延期申请 and 申请办结
    await phone.goto(f"{w.origin}/m/items/{w.ids['working']}")
    await phone.get_by_test_id("sign").click()
    ext = phone.get_by_test_id("extension-form")
    await expect(ext).to_be_visible()
    await ext.get_by_label("新的时限").fill("2099-09-30")
    await ext.get_by_test_id("submit-extension").click()
    await expect(ext).to_contain_text("请填写延期理由")
    await ext.get_by_label("延期理由").fill("摊位改造需待雨季结束后施工。")
    await ext.get_by_test_id("submit-extension").click()
    await expect(phone.get_by_role("status")).to_contain_text("已申请延期至 2099-09-30")
    await expect(phone.get_by_test_id("extensions")).to_contain_text("待审批")
    done = phone.get_by_test_id("completion-form")
    await done.get_by_label("办结情况").fill("市场雨棚、地面和排水已改造完毕。")
    await screenshot(phone, shots, "phone-item-actions")
    await no_serious_violations(phone)
    await done.get_by_test_id("submit-completion").click()
    await expect(phone.get_by_role("status")).to_contain_text("已申请办结")
    await expect(phone.get_by_text("等待督查办核实", exact=True)).to_be_visible()

    # 通知单: acknowledge the one addressed to me
    await phone.get_by_role("tab", name="通知单").click()
    await phone.wait_for_url("**/m/notices")
    notice = phone.get_by_test_id("notices").locator(f'[data-code="{w.ids["notice"]}"]')
    await expect(notice).to_contain_text("请于5日内报送农贸市场改造进展。")
    await notice.get_by_label("签收意见").fill("收到，按期报送。")
    await screenshot(phone, shots, "phone-notices")
    await no_serious_violations(phone)
    await notice.get_by_test_id("acknowledge").click()
    await expect(phone.get_by_role("status")).to_contain_text(f"已签收通知单 {w.ids['notice']}")
    await expect(notice).to_contain_text("已签收")
    await expect(notice.get_by_test_id("acknowledge")).to_have_count(0)

    # 站内信: the office re-sets a deadline; the unit is told
    await _ok(
        w.api,
        "itemDeadlineReset",
        "ItemDeadlineResetInput",
        itemId=w.ids["reset"],
        leaderId=w.ids["leader"],
        newDeadline="2099-12-31",
        reason="区政府专题会议同意延后",
    )
    sup = w.as_person(w.ids["sup"], ["UNIT_SUPERVISOR"], w.ids["a"])

    async def told() -> bool:
        inbox = (await sup("{ inbox(first: 50) { title } }"))["inbox"]
        return any(n["title"] == "督查提醒：办理时限调整" for n in inbox)

    await wait_for(told, timeout=60, interval=0.3)
    await phone.get_by_role("tab", name="站内信").click()
    await phone.wait_for_url("**/m/inbox")
    inbox = phone.get_by_test_id("inbox")
    await expect(inbox).to_contain_text("督查提醒：办理时限调整")
    await expect(inbox.locator('[data-read="false"]').first).to_be_visible()
    await screenshot(phone, shots, "phone-inbox")
    await no_serious_violations(phone)
    await phone.get_by_test_id("mark-all").click()
    await expect(inbox.locator('[data-read="false"]')).to_have_count(0)
    await expect(phone.get_by_role("tab", name="未读 0")).to_be_visible()


async def test_leader_confirms_and_gives_an_instruction(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    page = await signed_in(browser, w, "leader", "陈区长", DESKTOP)
    await page.get_by_role("menuitem", name="领导批示").click()
    waiting = page.get_by_test_id("to-confirm")
    await expect(waiting).to_contain_text("加快进度，确保年底前完工。")
    await expect(page.get_by_test_id("my-items")).to_contain_text(LED)
    await no_serious_violations(page)
    await waiting.get_by_role("button", name="确认是我的批示").click()
    await expect(waiting).to_contain_text("没有待确认的批示")

    form = page.get_by_test_id("instruction-form")
    await form.get_by_test_id("submit-instruction").click()
    await expect(form).to_contain_text("请选择事项")
    await choose(page, form, "事项", LED)
    await form.get_by_label("批示内容").fill("请区住建局牵头协调，月底前报进展。")
    await form.get_by_test_id("submit-instruction").click()
    await expect(page.get_by_role("status")).to_contain_text("批示已发出")
    await expect(page.get_by_text("督查办代录，已确认")).to_be_visible()
    await expect(page.get_by_text("请区住建局牵头协调，月底前报进展。").first).to_be_visible()
    await screenshot(page, shots, "leader-instructions")


async def test_cadre_requests_an_exemption_the_office_grants(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    cadre_api = w.as_person(w.ids["cadre"], ["CADRE"], w.ids["a"])

    async def penalised() -> bool:
        lines = (await cadre_api("{ myPerformance { lines { rule } } }"))["myPerformance"]
        return any(line["rule"] == "COLOUR_RED" for line in lines["lines"])

    await wait_for(penalised, timeout=60, interval=0.3)

    cadre = await signed_in(browser, w, "cadre", "吴干部", DESKTOP)
    await cadre.wait_for_url("**/console/performance")
    lines = cadre.get_by_test_id("performance-lines")
    await expect(lines).to_contain_text(f"《{OVERDUE}》进入红色预警")
    await cadre.get_by_role("menuitem", name="容错免责").click()
    form = cadre.get_by_test_id("exemption-form")
    await choose(cadre, form, "事项", OVERDUE)
    await choose(cadre, form, "容错情形", "历史遗留问题")
    await form.get_by_test_id("submit-exemption").click()
    # the API's typed errors land beside their field
    await expect(form).to_contain_text("请说明申请理由")
    await form.get_by_label("申请理由").fill("违建形成于2005年，权属争议未决。")
    await form.get_by_test_id("submit-exemption").click()
    await expect(form).to_contain_text("请提供证明材料")
    await form.get_by_label("证明材料").fill("区规划分局2019年情况说明\n街道历年台账")
    await form.get_by_test_id("submit-exemption").click()
    await expect(cadre.get_by_role("status")).to_contain_text("容错申请已提交")
    await expect(cadre.get_by_test_id("exemptions")).to_contain_text("待审核")
    await no_serious_violations(cadre)

    office = await signed_in(browser, w, "office", "王督查", DESKTOP)
    await office.goto(f"{w.origin}/console/exemptions")
    table = office.get_by_test_id("exemptions")
    await expect(table).to_contain_text("历史遗留问题")
    await table.get_by_role("textbox").first.fill("情况属实，予以免责。")
    await screenshot(office, shots, "exemptions-office")
    await no_serious_violations(office)
    await table.get_by_test_id("approve").click()
    await expect(table).to_contain_text("已批准")
    await expect(table).to_contain_text("情况属实，予以免责。")

    async def offset() -> bool:
        lines = (await cadre_api("{ myPerformance { lines { rule } } }"))["myPerformance"]
        return any(line["rule"].startswith("EXEMPTED:") for line in lines["lines"])

    await wait_for(offset, timeout=30, interval=0.3)
    await cadre.get_by_role("menuitem", name="政绩档案").click()
    await expect(lines).to_contain_text("容错免除·红色预警")


async def test_evaluation_office_pages(world: World, shots: Path) -> None:
    w = world
    page = w.pages["office"]
    await page.get_by_role("menuitem", name="考核评价").click()
    await expect(page.get_by_test_id("periods")).to_contain_text("尚未设立考核期")

    today = shanghai_today()
    form = page.get_by_test_id("period-form")
    await form.get_by_label("名称").fill("本季度考核")
    start = form.get_by_label("开始日期")
    await start.click()
    # Element Plus leaves its picker panel an unnamed dialog; the app names it (lib/a11y.ts)
    await expect(page.get_by_role("dialog", name="选择日期")).to_be_visible()
    await no_serious_violations(page)
    await start.fill((today - timedelta(days=60)).isoformat())
    await start.press("Enter")
    end = form.get_by_label("结束日期")
    await end.fill((today + timedelta(days=30)).isoformat())
    await end.press("Enter")
    await form.get_by_test_id("submit-period").click()
    await expect(page.get_by_role("status")).to_contain_text("已新建考核期「本季度考核」")
    await expect(page.get_by_test_id("periods")).to_contain_text("进行中")
    await expect(page.locator(".el-picker__popper:visible")).to_have_count(0)
    await no_serious_violations(page)

    await page.get_by_role("tab", name="干部排名").click()
    rankings = page.get_by_test_id("cadre-rankings")
    await expect(rankings).to_contain_text("吴干部")
    await screenshot(page, shots, "evaluation-rankings")
    await no_serious_violations(page)

    await page.get_by_role("tab", name="单位评价").click()
    veto = page.get_by_test_id("veto-form")
    await choose(page, veto, "单位", "乙街道")
    await veto.get_by_label("否决理由").fill("发生重大安全生产责任事故")
    await veto.get_by_role("button", name="记录否决").click()
    await expect(page.get_by_role("status")).to_contain_text("已记录一票否决")
    await expect(page.get_by_test_id("unit-rankings")).to_contain_text(
        "一票否决：发生重大安全生产责任事故"
    )
    survey = page.get_by_test_id("survey-form")
    await choose(page, survey, "测评单位", "甲街道")
    await survey.get_by_label("测评得分").fill("88")
    await survey.get_by_role("button", name="录入").click()
    await expect(page.get_by_role("status")).to_contain_text("已录入群众满意度测评")
    await no_serious_violations(page)

    await page.get_by_role("tab", name="能上能下").click()
    await page.get_by_test_id("evaluate-flags").click()
    await expect(page.get_by_role("status")).to_contain_text("已评估能上能下规则")

    await page.get_by_role("tab", name="规则版本").click()
    rules = page.get_by_test_id("rule-sets")
    for kind in ("计分规则", "干部选拔权重", "单位评价权重", "能上能下规则"):
        await expect(rules).to_contain_text(kind)
    scoring = rules.locator("tr", has_text="计分规则")
    await expect(scoring).to_contain_text("默认（未发布过）")
    # a new version: the API's complaint about the body lands beside it
    await page.get_by_test_id("edit-SCORING").click()
    editor = page.get_by_test_id("rules-form")
    body = editor.get_by_label("规则内容（JSON）")
    await body.fill('{"item_taken_on": {"points": 1}}')
    await editor.get_by_test_id("publish-rules").click()
    await expect(editor).to_contain_text("规则缺少 completed_on_time.points")
    await page.get_by_test_id("edit-SCORING").click()
    await editor.get_by_test_id("publish-rules").click()
    await expect(page.get_by_role("status")).to_contain_text("已发布计分规则第 1 版")
    await expect(scoring).to_contain_text("第 1 版")
    await expect(scoring).to_contain_text("王督查")
    await no_serious_violations(page)

    async with page.expect_download() as download_info:
        await page.get_by_test_id("export-rankings").click()
    download = await download_info.value
    assert download.suggested_filename == "干部政绩排名-本季度考核.xlsx"
    saved = Path(await download.path())
    head = await asyncio.to_thread(saved.read_bytes)
    assert head[:2] == b"PK"  # an xlsx is a zip
    await expect(page.get_by_role("status")).to_contain_text("已导出 干部政绩排名-本季度考核.xlsx")

    await page.get_by_role("tab", name="考核期").click()
    await page.get_by_test_id("close-本季度考核").click()
    await page.get_by_role("button", name="关闭", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("排名快照已冻结")
    await expect(page.get_by_test_id("periods")).to_contain_text("已关闭（排名已冻结）")
    await expect(page.get_by_test_id("close-本季度考核")).to_have_count(0)
    await screenshot(page, shots, "evaluation-periods")


async def test_no_uncaught_errors_in_any_console(world: World) -> None:
    assert not world.console_errors, world.console_errors
