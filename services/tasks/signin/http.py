"""Starlette routes of the WeCom sign-in (ADR 0022); the gateway passes /auth/* through.

GET  /auth/options          → {"dev", "wecom"}: which sign-ins the page offers
POST /auth/wecom/start      {"mode": "oauth"|"qr", "next"} → {"url"} (WeCom's page)
POST /auth/wecom/exchange   {"code", "state"} → {"token", "expiresIn", "person", "next"}
                            and the HttpOnly SameSite=Strict refresh cookie
POST /auth/refresh          (cookie; header X-Ducha-Csrf) → a new token, rotated cookie
POST /auth/signout          (cookie) → the session revoked, the cookie cleared

Refusals answer 401/403 with {"error": Chinese message, "code"} and never a token.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from services.core.settings import Settings
from services.tasks.signin import domain, service
from services.tasks.signin.domain import Mode, Refusal, SignInRefused

MAX_CODE = 512
MAX_STATE = 1024
CSRF_HEADER = "x-ducha-csrf"


def _refused(e: SignInRefused) -> JSONResponse:
    status = {
        Refusal.NOT_CONFIGURED: 404,
        Refusal.WECOM_UNAVAILABLE: 502,
        Refusal.SESSION_INVALID: 401,
        Refusal.SESSION_EXPIRED: 401,
    }.get(e.refusal, 403)
    response = JSONResponse({"error": e.message, "code": e.refusal.value}, status_code=status)
    if e.refusal in (Refusal.SESSION_INVALID, Refusal.SESSION_EXPIRED):
        response.delete_cookie(domain.REFRESH_COOKIE, path=domain.REFRESH_COOKIE_PATH)
    return response


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "code": "BAD_REQUEST"}, status_code=400)


async def _json(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _issued(settings: Settings, issued: service.Issued) -> JSONResponse:
    response = JSONResponse(
        {
            "token": issued.token,
            "expiresIn": issued.expires_in,
            "person": issued.person,
            "next": issued.next_path,
        },
        headers={"cache-control": "no-store"},
    )
    response.set_cookie(
        domain.REFRESH_COOKIE,
        issued.refresh_token,
        max_age=issued.refresh_max_age,
        path=domain.REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        # plain http only on a developer's machine (DEV_MODE); behind the Ingress, https
        secure=not settings.dev_mode,
    )
    return response


def _wecom(request: Request) -> service.WeComUserInfo:
    state = request.app.state
    client: service.WeComUserInfo | None = getattr(state, "wecom_userinfo", None)
    if client is None:
        client = state.wecom_userinfo = service.WeComUserInfo(state.settings)
    return client


async def options(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    return JSONResponse(
        {"dev": settings.dev_mode, "wecom": service.wecom_app(settings) is not None}
    )


async def start(request: Request) -> JSONResponse:
    body = await _json(request)
    if body is None:
        return _bad("请求格式错误")
    try:
        mode = Mode(body.get("mode", ""))
    except ValueError:
        return _bad("登录方式无效")
    nxt = body.get("next")
    try:
        url = service.start(request.app.state.settings, mode, nxt if isinstance(nxt, str) else "/")
    except SignInRefused as e:
        return _refused(e)
    return JSONResponse({"url": url}, headers={"cache-control": "no-store"})


async def exchange(request: Request) -> JSONResponse:
    body = await _json(request)
    code, state = (body or {}).get("code"), (body or {}).get("state")
    if not isinstance(code, str) or not isinstance(state, str) or not code or not state:
        return _bad("缺少企业微信授权码或登录状态")
    if len(code) > MAX_CODE or len(state) > MAX_STATE:
        return _bad("企业微信授权码或登录状态过长")
    settings: Settings = request.app.state.settings
    try:
        issued = await service.exchange(
            request.app.state.pool, settings, _wecom(request), code, state
        )
    except SignInRefused as e:
        return _refused(e)
    return _issued(settings, issued)


async def refresh(request: Request) -> JSONResponse:
    # SameSite=Strict keeps the cookie off cross-site requests; the header, which only a
    # same-origin script can set without a preflight, is a second lock.
    if not request.headers.get(CSRF_HEADER):
        return _bad("缺少 X-Ducha-Csrf 请求头")
    raw = request.cookies.get(domain.REFRESH_COOKIE)
    if not raw:
        return _refused(SignInRefused(Refusal.SESSION_INVALID))
    settings: Settings = request.app.state.settings
    try:
        issued = await service.renew(request.app.state.pool, settings, raw)
    except SignInRefused as e:
        return _refused(e)
    return _issued(settings, issued)


async def signout(request: Request) -> JSONResponse:
    if not request.headers.get(CSRF_HEADER):
        return _bad("缺少 X-Ducha-Csrf 请求头")
    raw = request.cookies.get(domain.REFRESH_COOKIE)
    if raw:
        await service.sign_out(request.app.state.pool, raw)
    response = JSONResponse({"ok": True}, headers={"cache-control": "no-store"})
    response.delete_cookie(domain.REFRESH_COOKIE, path=domain.REFRESH_COOKIE_PATH)
    return response


def routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/auth/options", options, methods=["GET"]),
        Route("/auth/wecom/start", start, methods=["POST"]),
        Route("/auth/wecom/exchange", exchange, methods=["POST"]),
        Route("/auth/refresh", refresh, methods=["POST"]),
        Route("/auth/signout", signout, methods=["POST"]),
    ]
