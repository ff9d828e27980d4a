"""The whole flow in a real browser (issue 12): the office creates an item for two units, a
unit supervisor signs and reports on a phone, the office's item page and the big screen update
without reload, a tampered URL shows 无权查看 with no item data, no console errors, and axe-core
finds no serious or critical violations. Tests run in order and share the `world`."""

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
from tests.support.servers import GraphQLClient, token
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
    await screenshot(screen, shots, "big-screen")
    violations = await serious_axe_violations(screen)
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
