"""WeCom sign-in in a real browser (ADR 0022), WeCom played by the loopback fake: inside the
WeCom app (its user agent) the sign-in page goes through the fake's 网页授权 redirect and
lands signed in on the page asked for, with the token only in sessionStorage and the refresh
token in an HttpOnly cookie; renewal works from the page; an unknown WeCom user sees a
Chinese refusal and gets no token; sign-out revokes the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, expect

from services.core.embedded import free_port
from services.core.settings import Settings
from services.stack import Stack
from tests.alerts.fakes import FakeWeCom
from tests.support.servers import GraphQLClient, running_platform, token
from tests.tasks.support import make_unit
from tests.web.conftest import CHROMIUM, ensure_web_build

pytestmark = pytest.mark.asyncio(loop_scope="module")

WECOM_UA = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 wxwork/4.1.30 MicroMessenger/7.0.1"
)


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def stack(settings: Settings, wecom: FakeWeCom) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium fonts-noto-cjk (see .ci/run)")
    port = free_port()
    with running_platform(
        settings,
        services=("tasks",),
        gateway_port=port,
        WEB_DIST=str(ensure_web_build()),
        WEB_BASE_URL=f"http://127.0.0.1:{port}",
        WECOM_API_BASE=wecom.base,
        WECOM_OAUTH_BASE=wecom.base,
        WECOM_SSO_BASE=wecom.base,
        WECOM_CORP_ID=wecom.corp_id,
        WECOM_CORP_SECRET=wecom.corp_secret,
        WECOM_AGENT_ID="1000002",
    ) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def origin(stack: Stack, settings: Settings) -> AsyncIterator[str]:
    async with httpx.AsyncClient(timeout=30) as http:
        api = GraphQLClient(http, stack.gateway_url, token(settings))
        unit = await make_unit(api, "企微街道")
        await api(
            'mutation ($u: ID) { personCreate(input: {name: "周企微", unitId: $u, rank: "正科",'
            ' roles: ["UNIT_SUPERVISOR"], wecomUserId: "zhou.qw"}) {'
            " ... on PersonCreateSuccess { person { id } } ... on UserError { message } } }",
            {"u": unit},
        )
        yield stack.gateway_url.removesuffix("/graphql")


async def inside_wecom(browser: Browser) -> BrowserContext:
    return await browser.new_context(
        viewport={"width": 390, "height": 844}, user_agent=WECOM_UA, locale="zh-CN"
    )


async def sessions(settings: Settings) -> list[Any]:
    conn = await asyncpg.connect(settings.require_database_url())
    try:
        return list(
            await conn.fetch("SELECT revoked_at FROM tasks.signin_sessions ORDER BY created_at")
        )
    finally:
        await conn.close()


async def test_inside_wecom_the_page_signs_in_through_the_authorize_redirect(
    browser: Browser, origin: str, wecom: FakeWeCom, settings: Settings
) -> None:
    wecom.signing_in = "zhou.qw"
    ctx = await inside_wecom(browser)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    visited: list[str] = []
    page.on("framenavigated", lambda f: visited.append(f.url) if f == page.main_frame else None)
    await page.goto(f"{origin}/m/items")
    await expect(page.get_by_text("周企微 · 企微街道")).to_be_visible()
    assert page.url == f"{origin}/m/items"
    assert [r["path"] for r in wecom.authorize_requests] == ["/connect/oauth2/authorize"]
    assert wecom.authorize_requests[0]["redirect_uri"] == f"{origin}/signin"
    assert any(u.startswith(f"{origin}/signin?code=") for u in visited), visited

    stored = await page.evaluate(
        "[localStorage.length, JSON.parse(sessionStorage.getItem('ducha.session'))]"
    )
    assert stored[0] == 0 and stored[1]["renewable"] is True and stored[1]["token"]
    first_token = stored[1]["token"]
    cookie = next(c for c in await ctx.cookies() if c["name"] == "ducha_refresh")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/auth"
    assert "ducha_refresh" not in await page.evaluate("document.cookie")

    # the page renews its token from the cookie (what its timer does before expiry), and
    # the refresh cookie is rotated
    renewed = await page.evaluate(
        "async () => { const r = await fetch('/auth/refresh', {method: 'POST',"
        " headers: {'x-ducha-csrf': '1'}}); return [r.status, (await r.json()).token]; }"
    )
    assert renewed[0] == 200 and renewed[1].count(".") == 2
    rotated = next(c for c in await ctx.cookies() if c["name"] == "ducha_refresh")
    assert rotated["value"] != cookie["value"] and rotated["httpOnly"]
    assert first_token

    # sign-out revokes the session on the server
    await page.get_by_role("button", name="退出").click()
    await page.wait_for_url("**/signin**")
    # …and the page waits for a click instead of signing the same person straight back in
    await expect(page.get_by_role("button", name="企业微信登录")).to_be_visible()
    assert [r["revoked_at"] is not None for r in await sessions(settings)] == [True]
    assert len(wecom.authorize_requests) == 1
    assert not errors, errors
    await ctx.close()


async def test_desktop_scan_and_unknown_member_is_refused_in_chinese(
    browser: Browser, origin: str, wecom: FakeWeCom, settings: Settings
) -> None:
    wecom.authorize_requests.clear()
    wecom.signing_in = "stranger.x"
    ctx = await browser.new_context(locale="zh-CN")
    page = await ctx.new_page()
    await page.goto(f"{origin}/signin")
    await page.get_by_role("button", name="企业微信扫码登录").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "您的企业微信账号未登记为督查督办系统人员，请联系督查办"
    )
    assert [r["path"] for r in wecom.authorize_requests] == ["/wwlogin/sso/login"]
    assert await page.evaluate("sessionStorage.getItem('ducha.session')") is None
    assert page.url == f"{origin}/signin"  # the spent code is gone from the address bar
    assert len(await sessions(settings)) == 1  # only the first test's
    await ctx.close()
