"""Outbound channels: WeCom group robot, WeCom application messages, email (SMTP).

Each ``send`` either returns (delivered) or raises ``ChannelError`` saying whether
a retry can help (``permanent``) and how long to wait first (``retry_after``).
WeCom answers HTTP 200 with a non-zero ``errcode`` on failure; those are failures.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from services.core.logs import scrub_secrets

log = logging.getLogger(__name__)

TOKEN_INVALID = frozenset({40014, 42001})  # invalid / expired access_token: refresh once
FREQ_LIMIT = 45009  # api freq out of limit: back off
PERMANENT = frozenset({93000, 81013})  # bad robot webhook; no valid recipient
RATE_LIMIT_BACKOFF = 60.0
DUPLICATE_CHECK_SECONDS = 1800  # application messages: WeCom's default window (max 4 hours)


class ChannelError(Exception):
    """A failed send; its message is logged and stored, so credentials are scrubbed."""

    def __init__(
        self, message: str, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(scrub_secrets(message))
        self.permanent = permanent
        self.retry_after = retry_after


class RateLimiter:
    """At most ``limit`` sends per ``window`` seconds per key (sliding window, in process).

    Delivery runs as one exclusive job, so one process sends at a time; a replica
    that takes over starts with an empty window and relies on WeCom's 45009 answer.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> float:
        """0 and counts the send when allowed; else the seconds until a slot frees."""
        now = self.clock()
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        if len(sent) >= self.limit:
            return sent[0] + self.window - now
        sent.append(now)
        return 0.0


def check_wecom(body: dict[str, Any]) -> None:
    code = int(body.get("errcode", 0) or 0)
    if code == 0:
        return
    message = f"WeCom errcode {code}: {body.get('errmsg', '')}"
    if code == FREQ_LIMIT:
        raise ChannelError(message, retry_after=RATE_LIMIT_BACKOFF)
    raise ChannelError(message, permanent=code in PERMANENT)


async def _post_json(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    try:
        r = await client.post(url, json=payload, params=params)
    except httpx.HTTPError as e:
        raise ChannelError(f"HTTP error: {e!r}") from e
    if r.status_code != 200:
        retryable = r.status_code >= 500 or r.status_code in (408, 425, 429)
        raise ChannelError(f"HTTP {r.status_code}", permanent=not retryable)
    try:
        return r.json()  # type: ignore[no-any-return]
    except ValueError as e:
        raise ChannelError(f"not JSON: {r.text[:200]}") from e


class WeComRobot:
    """Group robot webhook: ``POST {base}?key=KEY``, text or markdown, with @mentions.

    Text messages mention by mobile (``m:``) or user id (``u:``) in the mention lists;
    markdown can only mention user ids, written ``<@userid>`` in the content.
    """

    def __init__(self, client: httpx.AsyncClient, base_url: str, markdown: bool = False) -> None:
        self.client = client
        self.base_url = base_url
        self.markdown = markdown

    def payload(self, content: str, mentions: Sequence[str] = ()) -> dict[str, Any]:
        mobiles = [m[2:] for m in mentions if m.startswith("m:")]
        users = [m[2:] for m in mentions if m.startswith("u:")]
        if self.markdown:
            tags = "".join(f"<@{u}>" for u in users)
            return {"msgtype": "markdown", "markdown": {"content": f"{content}\n{tags}".strip()}}
        text: dict[str, Any] = {"content": content}
        if mobiles:
            text["mentioned_mobile_list"] = mobiles
        if users:
            text["mentioned_list"] = users
        return {"msgtype": "text", "text": text}

    async def send(self, key: str, content: str, mentions: Sequence[str] = ()) -> None:
        body = await _post_json(
            self.client, self.base_url, self.payload(content, mentions), {"key": key}
        )
        check_wecom(body)


class WeComApp:
    """Application messages: gettoken (cached, refreshed under a lock) + message/send."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        api_base: str,
        corp_id: str,
        corp_secret: str,
        agent_id: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.api_base = api_base.rstrip("/")
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.agent_id = agent_id
        self.clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    @property
    def http(self) -> httpx.AsyncClient:
        assert self.client is not None, "WeComApp needs an HTTP client"
        return self.client

    async def _fetch_token(self) -> tuple[str, float]:
        url = f"{self.api_base}/cgi-bin/gettoken"
        params = {"corpid": self.corp_id, "corpsecret": self.corp_secret}
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(httpx.TransportError),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
        ):
            with attempt:
                r = await self.http.get(url, params=params)
        if r.status_code != 200:
            raise ChannelError(f"gettoken HTTP {r.status_code}")
        body = r.json()
        if int(body.get("errcode", 0) or 0) != 0:
            check_wecom(body)
        return str(body["access_token"]), float(body.get("expires_in", 7200))

    async def token(self, stale: str | None = None) -> str:
        """The cached token; fetched once under the lock when missing, expired or ``stale``."""
        async with self._lock:
            if self._token and self._token != stale and self.clock() < self._expires:
                return self._token
            try:
                token, ttl = await self._fetch_token()
            except httpx.HTTPError as e:
                raise ChannelError(f"gettoken failed: {e!r}") from e
            self._token, self._expires = token, self.clock() + max(ttl - 300, ttl / 2)
            return token

    async def send(
        self, user_ids: Sequence[str], content: str, duplicate_check: bool = False
    ) -> None:
        """``duplicate_check``: WeCom drops the same text to the same member within
        ``DUPLICATE_CHECK_SECONDS`` (a re-send after a crash is not a second message)."""
        payload: dict[str, Any] = {
            "touser": "|".join(user_ids),
            "msgtype": "text",
            "agentid": self.agent_id,
            "text": {"content": content},
        }
        if duplicate_check:
            payload["enable_duplicate_check"] = 1
            payload["duplicate_check_interval"] = DUPLICATE_CHECK_SECONDS
        url = f"{self.api_base}/cgi-bin/message/send"
        token = await self.token()
        body = await _post_json(self.http, url, payload, {"access_token": token})
        if int(body.get("errcode", 0) or 0) in TOKEN_INVALID:
            token = await self.token(stale=token)
            body = await _post_json(self.http, url, payload, {"access_token": token})
        check_wecom(body)
        if body.get("invaliduser") and len(user_ids) == 1:
            raise ChannelError(f"invalid user: {body['invaliduser']}", permanent=True)

    async def _call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST an application API call with the cached token (refreshed once if stale)."""
        url = f"{self.api_base}{path}"
        token = await self.token()
        body = await _post_json(self.http, url, payload, {"access_token": token})
        if int(body.get("errcode", 0) or 0) in TOKEN_INVALID:
            token = await self.token(stale=token)
            body = await _post_json(self.http, url, payload, {"access_token": token})
        check_wecom(body)
        return body

    async def send_card(
        self, user_ids: Sequence[str], card: dict[str, Any], duplicate_check: bool = False
    ) -> None:
        """A template card (``button_interaction``, ``text_notice``) to members (issue 14)."""
        payload: dict[str, Any] = {
            "touser": "|".join(user_ids),
            "msgtype": "template_card",
            "agentid": self.agent_id,
            "template_card": card,
        }
        if duplicate_check:
            payload["enable_duplicate_check"] = 1
            payload["duplicate_check_interval"] = DUPLICATE_CHECK_SECONDS
        body = await self._call("/cgi-bin/message/send", payload)
        if body.get("invaliduser") and len(user_ids) == 1:
            raise ChannelError(f"invalid user: {body['invaliduser']}", permanent=True)

    async def update_card(self, user_ids: Sequence[str], response_code: str, text: str) -> None:
        """Grey out a pressed card's buttons with ``text`` (update_template_card)."""
        payload = {
            "userids": list(user_ids),
            "agentid": self.agent_id,
            "response_code": response_code,
            "button": {"replace_name": text},
        }
        await self._call("/cgi-bin/message/update_template_card", payload)


class Mailer:
    """SMTP (with STARTTLS, or SMTPS with ``ssl``) and login, run in a worker thread.

    Both TLS modes verify the server's certificate and host name
    (``ssl.create_default_context``)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 15.0,
        use_ssl: bool = False,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.user = user
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.use_ssl = use_ssl
        self.tls_context = tls_context
        self._closing: set[asyncio.Future[None]] = set()

    def _send(self, to: str, subject: str, body: str, message_id: str | None) -> smtplib.SMTP:
        """Send and return the open session: QUIT waits until the outcome is recorded."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        if message_id:
            msg["Message-ID"] = message_id
        msg.set_content(body)
        context = self.tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            if self.use_ssl
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        try:
            if self.starttls and not self.use_ssl:
                smtp.starttls(context=context)
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(msg)
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def _quit(smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    async def send(self, to: str, subject: str, body: str, message_id: str | None = None) -> None:
        try:
            smtp = await asyncio.to_thread(self._send, to, subject, body, message_id)
        except smtplib.SMTPRecipientsRefused as e:
            raise ChannelError(f"recipient refused: {e.recipients}", permanent=True) from e
        except (smtplib.SMTPException, OSError) as e:
            raise ChannelError(f"SMTP error: {e!r}") from e
        # accepted: the caller records SENT now; the polite QUIT follows off the critical path
        task = asyncio.get_running_loop().run_in_executor(None, self._quit, smtp)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
