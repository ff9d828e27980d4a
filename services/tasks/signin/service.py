"""Use-cases of the WeCom sign-in: start (WeCom's URL with a signed state), exchange (code
→ WeCom user id → Person → access token + refresh session), renew, sign out.

Times here are real time, not the service clock: tokens are checked against real time by
the gateway, and a demo district's shifted clock (CLOCK_AT) must not stretch a session."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from services.core.auth import mint_token
from services.core.settings import Settings
from services.tasks.devsignin.domain import ROLE_LABELS, Candidate
from services.tasks.signin import domain, store
from services.tasks.signin.domain import Mode, Refusal, SignInRefused

TOKEN_INVALID = {40014, 42001}  # access_token invalid / expired: fetch a new one, once


def wecom_app(settings: Settings) -> domain.WeComApp | None:
    """The WeCom app to sign in with, or None when WeCom sign-in is not configured."""
    if not (settings.wecom_corp_id and settings.wecom_corp_secret and settings.wecom_agent_id):
        return None
    return domain.WeComApp(
        settings.wecom_corp_id,
        settings.wecom_agent_id,
        settings.wecom_oauth_base,
        settings.wecom_sso_base,
    )


def redirect_uri(settings: Settings) -> str:
    """WeCom sends the browser back to the sign-in page (a trusted domain of the app)."""
    return settings.web_base_url.rstrip("/") + "/signin"


class WeComUserInfo:
    """``gettoken`` (cached until shortly before it expires, fetched once under a lock)
    and ``auth/getuserinfo`` (code → user id) against WECOM_API_BASE."""

    def __init__(self, settings: Settings, clock: Any = time.monotonic) -> None:
        self.api_base = settings.wecom_api_base.rstrip("/")
        self.corp_id = settings.wecom_corp_id or ""
        self.corp_secret = settings.wecom_corp_secret or ""
        self.timeout = settings.channel_timeout_seconds
        self.clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def _get(self, http: httpx.AsyncClient, path: str, params: dict[str, str]) -> Any:
        try:
            r = await http.get(f"{self.api_base}{path}", params=params)
        except httpx.HTTPError as e:
            raise SignInRefused(Refusal.WECOM_UNAVAILABLE) from e
        if r.status_code != 200:
            raise SignInRefused(Refusal.WECOM_UNAVAILABLE)
        return r.json()

    async def _access_token(self, http: httpx.AsyncClient, stale: str | None = None) -> str:
        async with self._lock:
            if self._token and self._token != stale and self.clock() < self._expires:
                return self._token
            body = await self._get(
                http, "/cgi-bin/gettoken", {"corpid": self.corp_id, "corpsecret": self.corp_secret}
            )
            if int(body.get("errcode", 0) or 0) != 0 or not body.get("access_token"):
                raise SignInRefused(Refusal.WECOM_UNAVAILABLE)
            ttl = float(body.get("expires_in", 7200))
            self._token, self._expires = str(body["access_token"]), self.clock() + ttl * 0.9
            return self._token

    async def user_id(self, code: str) -> str:
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            token = await self._access_token(http)
            body = await self._get(
                http, "/cgi-bin/auth/getuserinfo", {"access_token": token, "code": code}
            )
            if int(body.get("errcode", 0) or 0) in TOKEN_INVALID:
                token = await self._access_token(http, stale=token)
                body = await self._get(
                    http, "/cgi-bin/auth/getuserinfo", {"access_token": token, "code": code}
                )
        errcode = int(body.get("errcode", 0) or 0)
        if errcode != 0:
            raise SignInRefused(Refusal.CODE_INVALID)
        user_id = body.get("userid") or body.get("UserId")
        if not user_id:  # a non-member (openid only) is nobody Ducha knows
            raise SignInRefused(Refusal.UNKNOWN_USER)
        return str(user_id)


@dataclass(frozen=True)
class Issued:
    token: str
    expires_in: int
    person: dict[str, Any]
    refresh_token: str
    refresh_max_age: int
    next_path: str = "/"


def _now() -> datetime:
    return datetime.now(UTC)


def _candidate(row: asyncpg.Record) -> Candidate:
    return Candidate(
        id=str(row["id"]),
        name=row["name"],
        roles=list(row["roles"]),
        unit_id=str(row["unit_id"]) if row["unit_id"] else None,
        unit_name=row["unit_name"],
        position=row["position"],
    )


def _check(row: asyncpg.Record | None) -> Candidate:
    person = (
        domain.Person(
            str(row["id"]),
            row["name"],
            list(row["roles"]),
            str(row["unit_id"]) if row["unit_id"] else None,
            bool(row["retired"]),
        )
        if row is not None
        else None
    )
    domain.check_may_sign_in(person, set(ROLE_LABELS))
    assert row is not None
    return _candidate(row)


def start(settings: Settings, mode: Mode, next_path: str) -> str:
    """The WeCom URL the browser goes to, carrying a fresh signed state."""
    app = wecom_app(settings)
    if app is None:
        raise SignInRefused(Refusal.NOT_CONFIGURED)
    key = domain.state_key(settings.signing_secret())
    state = domain.issue_state(mode, next_path, int(time.time()))
    return domain.sign_in_url(app, mode, redirect_uri(settings), domain.encode_state(key, state))


async def _issue(
    conn: asyncpg.Connection,
    settings: Settings,
    person: Candidate,
    now: datetime,
    session: asyncpg.Record | None = None,
    via: str = "",
    old_hash: str = "",
) -> Issued:
    """Mint the access token; open a refresh session (``session`` None) or rotate its token."""
    refresh = domain.new_refresh_token()
    if session is None:
        expires_at = now + timedelta(seconds=settings.signin_refresh_ttl_seconds)
        await store.create_session(
            conn, uuid.uuid4(), uuid.UUID(person.id), via, domain.refresh_hash(refresh), expires_at
        )
    else:
        expires_at = session["expires_at"]
        await store.rotate_session(conn, session["id"], old_hash, domain.refresh_hash(refresh), now)
    ttl = settings.signin_access_ttl_seconds
    token = mint_token(settings, ttl_seconds=ttl, **person.claims())
    max_age = max(1, int((expires_at - now).total_seconds()))
    return Issued(token, ttl, person.as_json(), refresh, max_age)


async def exchange(
    pool: asyncpg.Pool, settings: Settings, wecom: WeComUserInfo, code: str, raw_state: str
) -> Issued:
    """WeCom's ``code`` and our ``state`` → the person's token and a refresh session."""
    if wecom_app(settings) is None:
        raise SignInRefused(Refusal.NOT_CONFIGURED)
    now = _now()
    key = domain.state_key(settings.signing_secret())
    state = domain.decode_state(key, raw_state, int(now.timestamp()))
    async with pool.acquire() as conn:
        expires = datetime.fromtimestamp(state.expires_at, UTC)
        if not await store.use_state(conn, state.nonce, expires, now):
            raise SignInRefused(Refusal.STATE_USED)
    user_id = await wecom.user_id(code)
    async with pool.acquire() as conn, conn.transaction():
        person = _check(await store.person_by_wecom_user(conn, user_id))
        issued = await _issue(conn, settings, person, now, via=state.mode.value)
    return Issued(
        issued.token,
        issued.expires_in,
        issued.person,
        issued.refresh_token,
        issued.refresh_max_age,
        state.next_path,
    )


async def renew(pool: asyncpg.Pool, settings: Settings, refresh_token: str) -> Issued:
    """A new access token and a rotated refresh token. A refresh token that was already
    rotated away (a copy being replayed) revokes its whole session; so does a person who
    has since retired or lost every role."""
    now = _now()
    old_hash = domain.refresh_hash(refresh_token)
    async with pool.acquire() as conn, conn.transaction():
        row = await store.session_by_token(conn, old_hash)
        if row is None:
            stolen = await store.session_by_previous_token(conn, old_hash)
            if stolen is not None:
                await store.revoke_session(conn, stolen, now)
            refusal = Refusal.SESSION_INVALID
        elif row["revoked_at"] is not None:
            refusal = Refusal.SESSION_INVALID
        elif row["expires_at"] <= now:
            refusal = Refusal.SESSION_EXPIRED
        else:
            try:
                person = _check(await store.person_by_id(conn, row["person_id"]))
            except SignInRefused as e:
                await store.revoke_session(conn, row["id"], now)
                refusal = e.refusal
            else:
                return await _issue(conn, settings, person, now, row, old_hash=old_hash)
    raise SignInRefused(refusal)  # after the commit: a revocation above stays


async def sign_out(pool: asyncpg.Pool, refresh_token: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        row = await store.session_by_token(conn, domain.refresh_hash(refresh_token))
        if row is not None:
            await store.revoke_session(conn, row["id"], _now())
