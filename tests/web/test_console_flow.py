"""The whole flow in a real browser (issue 12): the office creates an item for two units, a
unit supervisor signs and reports on a phone, the office's item page and the big screen update
without reload, the units ask for completion and the office verifies it, the owner's
performance page shows the new line with its explanation, a tampered URL shows 无权查看 with no
item data, no console errors, and axe-core finds no serious or critical violations. Tests run
in order and share the `world`."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Response, ViewportSize, expect

from services.core.auth import mint_token
from services.core.clock import today as shanghai_today
from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, token, wait_for
from tests.tasks.support import make_item, make_person, make_unit
from tests.web.conftest import screenshot, serious_axe_violations

pytestmark = pytest.mark.asyncio(loop_scope="module")

TITLE = "推进背街小巷环境整治"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
SCREEN: ViewportSize = {"width": 1920, "height": 1080}


@dataclass
class World:
    origin: str
    api: GraphQLClient
    settings: Settings
    unit_a: str = ""
    unit_b: str = ""
    unit_c: str = ""
    office: str = ""
    sup_a: str = ""
    sup_b: str = ""
    cadre: str = ""
    other_item: str = ""
    other_title: str = "仅限丙单位的保密事项"
    item_id: str = ""
    item_code: str = ""
    pages: dict[str, Page] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)

    def bearer_for(self, person: str, roles: list[str], unit: str | None) -> str:
        return mint_token(self.settings, person, roles, [unit] if unit else [], "测试")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(web_stack: Stack, settings: Settings) -> AsyncIterator[World]:
    async with httpx.AsyncClient(timeout=30) as http:
        api = GraphQLClient(http, web_stack.gateway_url, token(settings))
        w = World(web_stack.gateway_url.removesuffix("/graphql"), api, settings)
        w.unit_a = await make_unit(api, "甲街道")
        w.unit_b = await make_unit(api, "乙街道")
        w.unit_c = await make_unit(api, "丙街道")
        w.office = await make_person(api, None, "王督查", ["SUPERVISION_OFFICE"])
        w.sup_a = await make_person(api, w.unit_a, "李甲", ["UNIT_SUPERVISOR"])
        w.sup_b = await make_person(api, w.unit_b, "赵乙", ["UNIT_SUPERVISOR"])
        w.cadre = await make_person(api, w.unit_a, "周干部", ["CADRE"])
        w.other_item = await make_item(api, w.unit_c, title=w.other_title)
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
) -> tuple[BrowserContext, Page]:
    # bypass_csp: only so axe-core can be injected; a Shanghai page in a London browser
    ctx = await browser.new_context(
        viewport=viewport, locale="zh-CN", timezone_id="Europe/London", bypass_csp=True
    )
    page = watch_console(await ctx.new_page(), w, name)
    await page.goto(f"{w.origin}/signin")
    await page.get_by_role("button", name=person_name).click()
    await page.wait_for_url(lambda url: "/signin" not in url)
    w.pages[name] = page
    return ctx, page


async def pick(page: Page, select_testid: str, option: str) -> None:
    await page.get_by_test_id(select_testid).click()
    await page.locator(f".dd-{select_testid} .el-select-dropdown__item", has_text=option).click()


async def test_office_creates_an_item_for_two_units(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    _, page = await signed_in(browser, w, "office", "王督查", DESKTOP)
    await expect(page.get_by_test_id("board")).to_be_visible()
    # the sign-in left no token in localStorage (memory + sessionStorage only)
    assert await page.evaluate("Object.keys(localStorage).length") == 0

    await page.get_by_role("menuitem", name="立项交办").click()
    await page.get_by_label("事项名称").fill(TITLE)
    await page.get_by_label("工作内容").fill("对辖区背街小巷开展环境整治，年底前完成。")
    await pick(page, "lead-unit", "甲街道")
    await pick(page, "co-units", "乙街道")
    await page.keyboard.press("Escape")
    # the lead unit's cadre owns the item (具体负责人): it enters their performance file
    await page.locator(".el-select", has=page.get_by_role("combobox", name="责任人")).click()
    await page.locator(".el-select-dropdown__item:visible", has_text="周干部").click()
    await page.keyboard.press("Escape")
    today = shanghai_today()
    start = page.get_by_label("开始日期")
    await start.fill((today - timedelta(days=28)).isoformat())
    await start.press("Enter")
    deadline = page.get_by_label("办理时限")
    await deadline.fill((today + timedelta(days=28)).isoformat())
    await deadline.press("Enter")
    await page.get_by_text("每月").click()
    await page.get_by_test_id("submit").click()

    await expect(page.get_by_test_id("item-detail")).to_be_visible()
    w.item_id = page.url.rsplit("/", 1)[1]
    w.item_code = (await page.locator(".code").inner_text()).strip()
    await expect(page.get_by_test_id("assignments")).to_contain_text("甲街道")
    await expect(page.get_by_test_id("assignments")).to_contain_text("乙街道")

    await page.get_by_role("menuitem", name="工作台").click()
    board = page.get_by_test_id("board")
    await expect(board.get_by_role("link", name=TITLE)).to_be_visible()
    await expect(board).to_contain_text("甲街道")
    await screenshot(page, shots, "board")
    violations = await serious_axe_violations(page)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


async def test_supervisor_signs_and_reports_on_a_phone(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    office = w.pages["office"]
    await office.goto(f"{w.origin}/console/items/{w.item_id}")
    await expect(office.get_by_test_id("item-detail")).to_be_visible()

    _, phone = await signed_in(browser, w, "phone", "李甲", PHONE)
    await expect(phone.get_by_test_id("my-items")).to_contain_text(TITLE)
    await phone.get_by_test_id("my-items").get_by_text(TITLE).click()
    await phone.get_by_test_id("sign").click()
    form = phone.get_by_test_id("report-form")
    await expect(form).to_be_visible()
    percent = form.get_by_label("完成进度（%）")
    await percent.fill("60")
    await percent.blur()
    await form.get_by_label("进展情况").fill("已完成12条街巷的立面整治，清运垃圾30吨。")
    await form.get_by_label("下一步").fill("推进剩余8条街巷")
    await screenshot(phone, shots, "phone-report-form")
    violations = await serious_axe_violations(phone)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
    await phone.get_by_test_id("submit-report").click()
    await expect(phone.get_by_role("status")).to_contain_text("已汇报进度 60%")

    # the office's page, open all along, shows the report without a reload
    reports = office.get_by_test_id("reports")
    await expect(reports).to_contain_text("已完成12条街巷的立面整治", timeout=15_000)
    await expect(reports).to_contain_text("60%")
    await screenshot(office, shots, "item-page")
    violations = await serious_axe_violations(office)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


async def test_big_screen_shows_the_colour_change_by_subscription(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    _, screen = await signed_in(browser, w, "screen", "王督查", SCREEN)
    await screen.goto(f"{w.origin}/screen")
    await expect(screen.get_by_test_id("connection-ok")).to_be_visible(timeout=15_000)
    await expect(screen.get_by_test_id("count-YELLOW")).not_to_have_text("0")

    # unit B reports too: the lowest open percent rises to 60, on plan → YELLOW turns GREEN
    bearer = w.bearer_for(w.sup_b, ["UNIT_SUPERVISOR"], w.unit_b)
    api_b = w.api.as_(bearer)
    await api_b(
        "mutation ($i: AssignmentInput!) { assignmentSign(input: $i) { __typename } }",
        {"i": {"itemId": w.item_id, "unitId": w.unit_b}},
    )
    reported = time.monotonic()
    data = await api_b(
        "mutation ($i: ItemReportProgressInput!) { itemReportProgress(input: $i) { __typename } }",
        {"i": {"itemId": w.item_id, "unitId": w.unit_b, "percent": 60, "narrative": "配合完成"}},
    )
    assert data["itemReportProgress"]["__typename"] == "ItemReportProgressSuccess"
    tick = screen.get_by_test_id("ticker").locator(
        f'li[data-code="{w.item_code}"][data-level="GREEN"]'
    )
    await expect(tick).to_be_visible(timeout=10_000)
    elapsed = time.monotonic() - reported
    await expect(tick).to_contain_text("绿")
    assert elapsed <= 2.0, f"the colour change took {elapsed:.2f}s to reach the big screen"
    # the counts follow (re-read on the event)
    await expect(screen.get_by_test_id("count-GREEN")).to_have_text("1")
    # no panel is left blank: with no red item, the red list says so
    await expect(screen.get_by_test_id("count-RED")).to_have_text("0")
    await expect(screen.get_by_test_id("newest-red")).to_have_text("暂无红色事项")
    await screenshot(screen, shots, "big-screen")
    violations = await serious_axe_violations(screen)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


async def test_office_verifies_completion_and_the_owner_sees_the_line(
    browser: Browser, world: World, shots: Path
) -> None:
    w = world
    phone = w.pages["phone"]
    await phone.goto(f"{w.origin}/m/items/{w.item_id}")
    form = phone.get_by_test_id("completion-form")
    await form.get_by_label("办结情况").fill("20条街巷全部整治完毕，群众满意。")
    await form.get_by_test_id("submit-completion").click()
    await expect(phone.get_by_role("status")).to_contain_text("已申请办结")
    await expect(phone.get_by_text("等待督查办核实", exact=True)).to_be_visible()

    api_b = w.api.as_(w.bearer_for(w.sup_b, ["UNIT_SUPERVISOR"], w.unit_b))
    data = await api_b(
        "mutation ($i: CompletionRequestInput!) { completionRequest(input: $i) { __typename } }",
        {"i": {"itemId": w.item_id, "unitId": w.unit_b, "summary": "配合工作已完成"}},
    )
    assert data["completionRequest"]["__typename"] == "ItemChangeSuccess", data
    # the office verifies both units' requests on its verification queue (核查审批)
    office = w.pages["office"]
    await office.goto(f"{w.origin}/console/queue")
    completions = office.get_by_test_id("queue-completions")
    for unit_name in ("甲街道", "乙街道"):
        row = completions.locator("tr", has_text=TITLE).filter(has_text=unit_name)
        await row.get_by_role("button", name="核实办结").click()
        dialog = office.get_by_test_id("decision-dialog")
        await dialog.get_by_test_id("decision-submit").click()
        await expect(dialog).to_be_hidden()
        await expect(row).to_have_count(0)

    cadre_api = w.api.as_(w.bearer_for(w.cadre, ["CADRE"], w.unit_a))

    async def scored() -> bool:
        lines = (await cadre_api("{ myPerformance { lines { rule } } }"))["myPerformance"]
        return any(line["rule"] == "COMPLETED_ON_TIME" for line in lines["lines"])

    await wait_for(scored, timeout=30, interval=0.2)

    _, cadre = await signed_in(browser, w, "cadre", "周干部", DESKTOP)
    await cadre.wait_for_url("**/console/performance")
    lines = cadre.get_by_test_id("performance-lines")
    line = lines.locator("tr", has=cadre.locator('[data-rule="COMPLETED_ON_TIME"]'))
    await expect(line).to_contain_text("按期办结")
    await expect(line).to_contain_text(f"《{TITLE}》按期办结")
    await expect(line).to_contain_text("权重")
    # the line taken on at creation is explained too
    await expect(lines.locator("tr", has_text="承办事项")).to_contain_text(
        f"承办督办事项《{TITLE}》"
    )
    await screenshot(cadre, shots, "performance")
    violations = await serious_axe_violations(cadre)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


async def test_url_tampering_shows_forbidden_and_no_item_data(world: World) -> None:
    w = world
    phone = w.pages["phone"]
    bodies: list[str] = []

    async def keep(response: Response) -> None:
        if "/graphql" in response.url:
            bodies.append(await response.text())

    phone.on("response", keep)
    await phone.goto(f"{w.origin}/m/items/{w.other_item}")
    await expect(phone.get_by_test_id("forbidden")).to_contain_text("无权查看")
    await phone.goto(f"{w.origin}/console/items/{w.other_item}")
    await expect(phone.get_by_test_id("forbidden")).to_contain_text("无权查看")
    # a unit supervisor is not let onto the office's board or the big screen at all
    await phone.goto(f"{w.origin}/console/board")
    await expect(phone.get_by_test_id("forbidden")).to_contain_text("无权查看")
    phone.remove_listener("response", keep)
    assert bodies, "the item pages asked the API"
    leaked = [b for b in bodies if w.other_title in b or w.other_item in b]
    assert not leaked, leaked


async def test_sign_out_forgets_the_token(world: World) -> None:
    w = world
    phone = w.pages["phone"]
    await phone.goto(f"{w.origin}/m/items")
    await phone.get_by_role("button", name="退出").click()
    await phone.wait_for_url("**/signin")
    stored: Any = await phone.evaluate(
        "[localStorage.length, sessionStorage.getItem('ducha.session')]"
    )
    assert stored == [0, None]
    await phone.goto(f"{w.origin}/m/items")
    await phone.wait_for_url("**/signin?next=**")


async def test_no_uncaught_errors_in_any_console(world: World) -> None:
    assert not world.console_errors, world.console_errors
