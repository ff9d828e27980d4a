"""Rules of the WeCom sign-in: the signed single-use state, WeCom's sign-in URLs, who may
sign in, and the refresh token's stored form. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

STATE_TTL_SECONDS = 300  # WeCom's own code lives 5 minutes; a state need not outlive it
REFRESH_COOKIE = "ducha_refresh"
REFRESH_COOKIE_PATH = "/auth"
MAX_NEXT_LENGTH = 512


class Mode(StrEnum):
    OAUTH = "oauth"  # 网页授权, a page opened inside the WeCom app
    QR = "qr"  # 扫码登录, a desktop browser


class Refusal(StrEnum):
    STATE_INVALID = "STATE_INVALID"
    STATE_EXPIRED = "STATE_EXPIRED"
    STATE_USED = "STATE_USED"
    CODE_INVALID = "CODE_INVALID"
    UNKNOWN_USER = "UNKNOWN_USER"
    RETIRED = "RETIRED"
    NO_ROLE = "NO_ROLE"
    SESSION_INVALID = "SESSION_INVALID"
    SESSION_EXPIRED = "SESSION_EXPIRED"
    NOT_CONFIGURED = "NOT_CONFIGURED"
    WECOM_UNAVAILABLE = "WECOM_UNAVAILABLE"


MESSAGES: dict[Refusal, str] = {
    Refusal.STATE_INVALID: "登录请求无效，请重新登录",
    Refusal.STATE_EXPIRED: "登录请求已过期，请重新登录",
    Refusal.STATE_USED: "登录请求已使用过，请重新登录",
    Refusal.CODE_INVALID: "企业微信授权无效或已过期，请重新登录",
    Refusal.UNKNOWN_USER: "您的企业微信账号未登记为督查督办系统人员，请联系督查办",
    Refusal.RETIRED: "您的账号已离任停用，无法登录，请联系督查办",
    Refusal.NO_ROLE: "您的账号尚未分配角色，请联系督查办",
    Refusal.SESSION_INVALID: "登录状态无效，请重新登录",
    Refusal.SESSION_EXPIRED: "登录已过期，请重新登录",
    Refusal.NOT_CONFIGURED: "企业微信登录未配置",
    Refusal.WECOM_UNAVAILABLE: "企业微信暂时无法访问，请稍后重试",
}


class SignInRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal

    @property
    def message(self) -> str:
        return MESSAGES[self.refusal]


@dataclass(frozen=True)
class State:
    nonce: str
    mode: Mode
    next_path: str
    expires_at: int  # unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def state_key(signing_secret: str) -> bytes:
    """A key of its own for states, derived from the token secret (never the same bytes)."""
    return hashlib.sha256(b"ducha-wecom-state\x00" + signing_secret.encode()).digest()


def safe_next(path: str | None) -> str:
    """Only a path on this origin ("/x", not "//host" or "/\\host") may follow a sign-in."""
    if (
        not path
        or not path.startswith("/")
        or path.startswith(("//", "/\\"))
        or len(path) > MAX_NEXT_LENGTH
        or any(c in path for c in "\r\n\t")
        or path.startswith("/signin")
    ):
        return "/"
    return path


def issue_state(mode: Mode, next_path: str, now: int) -> State:
    return State(secrets.token_urlsafe(18), mode, safe_next(next_path), now + STATE_TTL_SECONDS)


def encode_state(key: bytes, state: State) -> str:
    body = json.dumps(
        {"n": state.nonce, "m": state.mode.value, "x": state.next_path, "e": state.expires_at},
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(key, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def decode_state(key: bytes, raw: str, now: int) -> State:
    """The state if its signature holds and it has not expired (single use is the store's)."""
    try:
        body_part, mac_part = raw.split(".", 1)
        body, mac = _unb64(body_part), _unb64(mac_part)
    except (ValueError, TypeError):
        raise SignInRefused(Refusal.STATE_INVALID) from None
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        raise SignInRefused(Refusal.STATE_INVALID)
    try:
        data: dict[str, Any] = json.loads(body)
        state = State(str(data["n"]), Mode(data["m"]), safe_next(data["x"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        raise SignInRefused(Refusal.STATE_INVALID) from None
    if now >= state.expires_at:
        raise SignInRefused(Refusal.STATE_EXPIRED)
    return state


@dataclass(frozen=True)
class WeComApp:
    corp_id: str
    agent_id: int
    oauth_base: str  # https://open.weixin.qq.com
    sso_base: str  # https://login.work.weixin.qq.com


def sign_in_url(app: WeComApp, mode: Mode, redirect_uri: str, state: str) -> str:
    """Where the browser goes: WeCom's 网页授权 (in the app) or 扫码登录 (desktop) page."""
    if mode is Mode.OAUTH:
        query = urlencode(
            {
                "appid": app.corp_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
                "agentid": app.agent_id,
            }
        )
        return f"{app.oauth_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect"
    query = urlencode(
        {
            "login_type": "CorpApp",
            "appid": app.corp_id,
            "agentid": app.agent_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{app.sso_base.rstrip('/')}/wwlogin/sso/login?{query}"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: list[str]
    unit_id: str | None
    retired: bool


def check_may_sign_in(person: Person | None, known_roles: set[str]) -> Person:
    """Unknown WeCom users, retired people and people without a role get no token."""
    if person is None:
        raise SignInRefused(Refusal.UNKNOWN_USER)
    if person.retired:
        raise SignInRefused(Refusal.RETIRED)
    if not any(r in known_roles for r in person.roles):
        raise SignInRefused(Refusal.NO_ROLE)
    return person


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_hash(token: str) -> str:
    """Only a hash of a refresh token is stored: a database leak signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()
