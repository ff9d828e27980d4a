"""WeCom sign-in against the loopback WeCom fake (never a real host): the state is signed
and single-use, the code exchange signs in the person the WeCom user id maps to, unknown
and retired people get a Chinese refusal and no token, the refresh cookie renews and
rotates, an expired, replayed or signed-out refresh token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from services.core.settings import Settings
from services.tasks.signin import domain
from tests.alerts.fakes import FakeWeCom
from tests.support.servers import GraphQLClient, running_service
from tests.tasks.support import make_person, make_unit

pytestmark = pytest.mark.asyncio(loop_scope="module")
CSRF = {"x-ducha-csrf": "1"}


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    try:
        yield fake
    finally:
        fake.stop()


def configured(settings: Settings, wecom: FakeWeCom, **more: Any) -> Settings:
    return settings.model_copy(
        update={
            "wecom_api_base": wecom.base,
            "wecom_oauth_base": wecom.base,
            "wecom_sso_base": wecom.base,
            "wecom_corp_id": wecom.corp_id,
            "wecom_corp_secret": wecom.corp_secret,
            "wecom_agent_id": 1000002,
            "web_base_url": "https://ducha.example.gov.cn",
            "dev_mode": False,
            **more,
        }
    )


async def through_wecom(
    http: httpx.AsyncClient, wecom: FakeWeCom, user_id: str, mode: str = "oauth"
) -> dict[str, str]:
    """Start, then let the fake's authorize page approve ``user_id``: WeCom's redirect back."""
    r = await http.post("/auth/wecom/start", json={"mode": mode, "next": "/m/items"})
    assert r.status_code == 200, r.text
    wecom.signing_in = user_id
    async with httpx.AsyncClient() as outside:
        back = await outside.get(r.json()["url"])
    assert back.status_code in (302, 307)
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://ducha.example.gov.cn/signin"
    )
    q = parse_qs(location.query)
    return {"code": q["code"][0], "state": q["state"][0]}


def refresh_cookie(r: httpx.Response) -> tuple[str, str]:
    """The refresh token and the raw Set-Cookie header that carried it."""
    header = next(h for h in r.headers.get_list("set-cookie") if domain.REFRESH_COOKIE in h)
    cookie = SimpleCookie()
    cookie.load(header)
    return cookie[domain.REFRESH_COOKIE].value, header


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    http.cookies.clear()
    return await http.post(
        "/auth/refresh", headers={**CSRF, "cookie": f"{domain.REFRESH_COOKIE}={token}"}
    )


async def people(gql: GraphQLClient) -> tuple[str, str, str]:
    unit = await make_unit(gql, "登录街道")
    data = await gql(
        'mutation ($u: ID) { personCreate(input: {name: "李督查", unitId: $u, rank: "正科",'
        ' roles: ["UNIT_SUPERVISOR"], wecomUserId: "li.du"}) {'
        " ... on PersonCreateSuccess { person { id } } ... on UserError { message } } }",
        {"u": unit},
    )
    return unit, str(data["personCreate"]["person"]["id"]), await make_person(gql, None, "王")


async def test_code_exchange_signs_in_the_mapped_person(
    settings: Settings, wecom: FakeWeCom
) -> None:
    config = configured(settings, wecom)
    async with running_service("tasks", config) as (_app, gql):
        http = gql.client
        assert (await http.get("/auth/options")).json() == {"dev": False, "wecom": True}
        unit, li, _ = await people(gql)

        for mode, page in (("oauth", "/connect/oauth2/authorize"), ("qr", "/wwlogin/sso/login")):
            wecom.authorize_requests.clear()
            answer = await through_wecom(http, wecom, "li.du", mode)
            assert wecom.authorize_requests[0]["path"] == page
            r = await http.post("/auth/wecom/exchange", json=answer)
            assert r.status_code == 200, r.text
            body = r.json()
            claims = jwt.decode(
                body["token"], config.signing_secret(), algorithms=["HS256"], audience="ducha"
            )
            assert (claims["sub"], claims["roles"], claims["units"]) == (
                li,
                ["UNIT_SUPERVISOR"],
                [unit],
            )
            assert claims["exp"] - claims["iat"] == config.signin_access_ttl_seconds
            assert body["person"]["name"] == "李督查" and body["next"] == "/m/items"
            _, header = refresh_cookie(r)
            low = header.lower()
            assert "httponly" in low and "samesite=strict" in low and "secure" in low
            assert "path=/auth" in low

        # the state was used once: the same answer again is refused, with no token
        again = await http.post("/auth/wecom/exchange", json=answer)
        assert again.status_code == 403 and "token" not in again.json()
        assert again.json()["code"] == "STATE_USED"
        # the gettoken answer is cached across sign-ins
        assert wecom.token_fetches == 1


async def test_forged_replayed_unknown_and_retired_are_refused(
    settings: Settings, wecom: FakeWeCom
) -> None:
    config = configured(settings, wecom)
    async with running_service("tasks", config) as (app, gql):
        http = gql.client
        _, li, wang = await people(gql)

        answer = await through_wecom(http, wecom, "li.du")
        key = domain.state_key("not-our-secret")
        forged = domain.encode_state(key, domain.issue_state(domain.Mode.OAUTH, "/", 10**10 - 1))
        forged = forged.replace(forged.split(".")[0], answer["state"].split(".")[0])
        for state in (forged, answer["state"] + "x", "x.y"):
            r = await http.post("/auth/wecom/exchange", json={**answer, "state": state})
            assert (r.status_code, r.json()["code"]) == (403, "STATE_INVALID"), r.text
            assert "token" not in r.json()
        # a code WeCom did not issue (or already used) is refused by WeCom
        r = await http.post("/auth/wecom/exchange", json={**answer, "code": "made-up"})
        assert (r.status_code, r.json()["code"]) == (403, "CODE_INVALID")

        unknown = await through_wecom(http, wecom, "nobody.here")
        r = await http.post("/auth/wecom/exchange", json=unknown)
        assert r.status_code == 403 and "token" not in r.json()
        assert r.json()["error"] == domain.MESSAGES[domain.Refusal.UNKNOWN_USER]

        async with app.state.pool.acquire() as conn:
            sessions = await conn.fetchval("SELECT count(*) FROM signin_sessions")
            # every li.du of this module's database (earlier tests made some) retires
            await conn.execute("UPDATE people SET retired_at = now() WHERE wecom_user_id = 'li.du'")
        retired = await through_wecom(http, wecom, "li.du")
        r = await http.post("/auth/wecom/exchange", json=retired)
        assert (r.status_code, r.json()["code"]) == (403, "RETIRED")
        assert "离任" in r.json()["error"] and "token" not in r.json()
        assert not [h for h in r.headers.get_list("set-cookie") if "ducha_refresh=" in h]
        async with app.state.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM signin_sessions") == sessions
        assert li and wang


async def test_renewal_rotates_and_expired_or_signed_out_refresh_is_refused(
    settings: Settings, wecom: FakeWeCom
) -> None:
    config = configured(settings, wecom)
    async with running_service("tasks", config) as (app, gql):
        http = gql.client
        _, li, _ = await people(gql)
        r = await http.post("/auth/wecom/exchange", json=await through_wecom(http, wecom, "li.du"))
        first, _ = refresh_cookie(r)

        assert (await http.post("/auth/refresh")).status_code == 400  # no CSRF header
        renewed = await refresh(http, first)
        assert renewed.status_code == 200, renewed.text
        claims = jwt.decode(
            renewed.json()["token"], config.signing_secret(), algorithms=["HS256"], audience="ducha"
        )
        assert claims["sub"] == li
        second, _ = refresh_cookie(renewed)
        assert second != first

        # the rotated-away token replayed (a stolen copy): refused, and the session revoked
        assert (await refresh(http, first)).status_code == 401
        assert (await refresh(http, second)).status_code == 401

        # a fresh session that has expired
        r = await http.post("/auth/wecom/exchange", json=await through_wecom(http, wecom, "li.du"))
        third, _ = refresh_cookie(r)
        async with app.state.pool.acquire() as conn:
            await conn.execute(
                "UPDATE signin_sessions SET expires_at = now() - interval '1 second'"
                " WHERE token_hash = $1",
                domain.refresh_hash(third),
            )
        expired = await refresh(http, third)
        assert (expired.status_code, expired.json()["code"]) == (401, "SESSION_EXPIRED")
        assert "token" not in expired.json()
        assert any("max-age=0" in h.lower() for h in expired.headers.get_list("set-cookie"))

        # sign-out revokes
        r = await http.post("/auth/wecom/exchange", json=await through_wecom(http, wecom, "li.du"))
        fourth, _ = refresh_cookie(r)
        out = await http.post(
            "/auth/signout", headers={**CSRF, "cookie": f"{domain.REFRESH_COOKIE}={fourth}"}
        )
        assert out.status_code == 200
        assert (await refresh(http, fourth)).status_code == 401


async def test_not_configured_offers_no_wecom(settings: Settings) -> None:
    bare = settings.model_copy(update={"wecom_corp_id": None, "dev_mode": True})
    async with running_service("tasks", bare) as (_app, gql):
        http = gql.client
        assert (await http.get("/auth/options")).json() == {"dev": True, "wecom": False}
        r = await http.post("/auth/wecom/start", json={"mode": "oauth"})
        assert r.status_code == 404
        r = await http.post("/auth/wecom/exchange", json={"code": "c", "state": "s.t"})
        assert r.status_code == 404 and "token" not in r.json()
