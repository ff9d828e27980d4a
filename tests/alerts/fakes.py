"""Loopback servers that speak the WeCom and SMTP contracts, scriptable for failures.

``FakeWeCom`` serves ``/cgi-bin/gettoken``, ``/cgi-bin/message/send`` (application
messages, template cards included), ``/cgi-bin/message/update_template_card`` and
``/cgi-bin/webhook/send`` (group robots) under uvicorn in a thread. Like WeCom, it calls
an app's callback URL: ``verify_url`` (the echostr handshake) and ``press`` (a button on
a template card), encrypted with its own implementation of the callback protocol.
Per-robot (20/min) and per-member (30/min) limits answer errcode 45009 like the real
service. ``script(target, *codes)`` queues answers for a robot key or user id: an int
errcode, or "HANG" (the request is held and never recorded, like a message lost in a
crash). For sign-in (ADR 0022) it plays WeCom's 网页授权 page
(``/connect/oauth2/authorize``) and 扫码登录 page (``/wwlogin/sso/login``): both send the
browser back to ``redirect_uri`` with a fresh single-use ``code`` for ``signing_in`` (the
member who "approved") and the ``state`` untouched; ``/cgi-bin/auth/getuserinfo`` turns a
code into that user id (errcode 40029 for an unknown or used code). ``FakeSMTP`` is an aiosmtpd server that records messages and refuses
recipients whose address starts with "refuse". Application messages sent with
``enable_duplicate_check: 1`` are dropped (answered ok, not recorded, counted in
``app_duplicates_dropped``) when the same request JSON came within
``duplicate_check_interval`` seconds, as WeCom documents for message/send.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any
from urllib.parse import urlencode

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FakeWeCom:
    corp_id: str = "ww-test-corp"
    corp_secret: str = "test-secret"
    robot_per_minute: int = 20
    member_per_minute: int = 30
    port: int = 0
    robot_messages: list[dict[str, Any]] = field(default_factory=list)
    app_messages: list[dict[str, Any]] = field(default_factory=list)
    card_messages: list[dict[str, Any]] = field(default_factory=list)  # template cards
    card_updates: list[dict[str, Any]] = field(default_factory=list)
    callback_token: str = "wecom-callback-token"
    # 43 characters of base64 (32 bytes); WeCom's EncodingAESKey
    encoding_aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    token_fetches: int = 0
    app_duplicates_dropped: int = 0
    token: str = ""
    signing_in: str = ""  # the member the authorize / QR page signs in
    codes: dict[str, str] = field(default_factory=dict)  # code -> user id, single use
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    _app_seen: dict[str, float] = field(default_factory=dict)
    scripts: dict[str, deque[int | str]] = field(default_factory=lambda: defaultdict(deque))
    _robot_sent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _member_sent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def robot_url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send"

    def script(self, target: str, *answers: int | str) -> None:
        with self._lock:
            self.scripts[target].extend(answers)

    def expire_token(self) -> None:
        with self._lock:
            self.token = ""

    def reset(self) -> None:
        with self._lock:
            self.robot_messages.clear()
            self.app_messages.clear()
            self._app_seen.clear()
            self.app_duplicates_dropped = 0
            self.card_messages.clear()
            self.card_updates.clear()
            self.codes.clear()
            self.authorize_requests.clear()
            self.scripts.clear()
            self._robot_sent.clear()
            self._member_sent.clear()
            self.token_fetches = 0

    def _next(self, target: str) -> int | str | None:
        with self._lock:
            queue = self.scripts.get(target)
            return queue.popleft() if queue else None

    @staticmethod
    def _over(window: deque[float], limit: int) -> bool:
        now = time.monotonic()
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= limit:
            return True
        window.append(now)
        return False

    async def gettoken(self, request: Request) -> JSONResponse:
        q = request.query_params
        if q.get("corpid") != self.corp_id or q.get("corpsecret") != self.corp_secret:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        with self._lock:
            self.token_fetches += 1
            # like WeCom: a token still valid is handed out again, not replaced
            self.token = self.token or f"token-{self.token_fetches}"
            token = self.token
        await asyncio.sleep(0.05)  # concurrent callers must wait on one fetch, not race
        return JSONResponse(
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        )

    async def message_send(self, request: Request) -> JSONResponse:
        body = await request.json()
        if not self.token or request.query_params.get("access_token") != self.token:
            return JSONResponse({"errcode": 40014, "errmsg": "invalid access_token"})
        user = body.get("touser", "")
        answer = self._next(user)
        if answer == "HANG":
            await asyncio.sleep(3600)
        if isinstance(answer, int) and answer != 0:
            if answer == 42001:
                self.expire_token()
            return JSONResponse({"errcode": answer, "errmsg": "scripted"})
        with self._lock:
            if body.get("enable_duplicate_check") == 1:
                key = json.dumps(body, sort_keys=True, ensure_ascii=False)
                interval = float(body.get("duplicate_check_interval") or 1800)
                seen = self._app_seen.get(key)
                if seen is not None and time.monotonic() - seen < interval:
                    self.app_duplicates_dropped += 1
                    return JSONResponse({"errcode": 0, "errmsg": "ok", "invaliduser": ""})
            if self._over(self._member_sent[user], self.member_per_minute):
                return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
            if body.get("enable_duplicate_check") == 1:
                self._app_seen[key] = time.monotonic()
            kept = (
                self.card_messages if body.get("msgtype") == "template_card" else self.app_messages
            )
            kept.append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "invaliduser": ""})

    async def update_template_card(self, request: Request) -> JSONResponse:
        if not self.token or request.query_params.get("access_token") != self.token:
            return JSONResponse({"errcode": 40014, "errmsg": "invalid access_token"})
        body = await request.json()
        with self._lock:
            known = any(m["template_card"].get("task_id") for m in self.card_messages)
            if not known or not body.get("response_code"):
                return JSONResponse({"errcode": 40058, "errmsg": "invalid response_code"})
            self.card_updates.append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "invaliduser": []})

    def cards(self, user_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                m["template_card"] for m in self.card_messages if user_id in m["touser"].split("|")
            ]

    # --- WeCom calling the app's callback URL ---------------------------------------

    def _encrypt(self, message: str) -> str:
        key = base64.b64decode(self.encoding_aes_key + "=")
        body = message.encode()
        plain = os.urandom(16) + struct.pack(">I", len(body)) + body + self.corp_id.encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def _sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        parts = sorted([self.callback_token, timestamp, nonce, encrypted])
        return hashlib.sha1("".join(parts).encode()).hexdigest()

    def verify_url(self, callback_url: str, echo: str = "echo-1234567890") -> httpx.Response:
        timestamp, nonce = str(int(time.time())), os.urandom(4).hex()
        encrypted = self._encrypt(echo)
        params = {
            "msg_signature": self._sign(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": encrypted,
        }
        return httpx.get(callback_url, params=params, timeout=10)

    def press_request(
        self,
        user_id: str,
        task_id: str,
        key: str,
        response_code: str,
        create_time: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The query and body WeCom POSTs when ``user_id`` presses a card's button."""
        created = create_time or int(time.time())
        inner = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{user_id}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[template_card_event]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
            "<CardType><![CDATA[button_interaction]]></CardType>"
            f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
            "<AgentID>1000002</AgentID></xml>"
        )
        encrypted = self._encrypt(inner)
        timestamp, nonce = str(int(time.time())), os.urandom(4).hex()
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
        ).encode()
        query = {
            "msg_signature": self._sign(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return query, body

    def press(
        self, callback_url: str, user_id: str, task_id: str, key: str, response_code: str
    ) -> httpx.Response:
        query, body = self.press_request(user_id, task_id, key, response_code)
        return httpx.post(callback_url, params=query, content=body, timeout=10)

    async def webhook_send(self, request: Request) -> JSONResponse:
        key = request.query_params.get("key", "")
        body = await request.json()
        answer = self._next(key)
        if answer == "HANG":
            await asyncio.sleep(3600)
        if isinstance(answer, int) and answer != 0:
            return JSONResponse({"errcode": answer, "errmsg": "scripted"})
        with self._lock:
            if self._over(self._robot_sent[key], self.robot_per_minute):
                return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
            self.robot_messages.append({"key": key, **body})
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    # --- sign-in: WeCom's authorize pages and the code exchange ---------------------

    def issue_code(self, user_id: str) -> str:
        code = f"code-{os.urandom(8).hex()}"
        with self._lock:
            self.codes[code] = user_id
        return code

    async def authorize(self, request: Request) -> Response:
        """Both sign-in pages: the member approves at once; back to redirect_uri."""
        q = dict(request.query_params)
        with self._lock:
            self.authorize_requests.append({"path": request.url.path, **q})
        if q.get("appid") != self.corp_id or not q.get("redirect_uri"):
            return JSONResponse({"errcode": 40013, "errmsg": "invalid corpid"}, status_code=400)
        back = q["redirect_uri"]
        code = self.issue_code(self.signing_in)
        sep = "&" if "?" in back else "?"
        return RedirectResponse(
            f"{back}{sep}{urlencode({'code': code, 'state': q.get('state', '')})}"
        )

    async def getuserinfo(self, request: Request) -> JSONResponse:
        q = request.query_params
        if not self.token or q.get("access_token") != self.token:
            return JSONResponse({"errcode": 40014, "errmsg": "invalid access_token"})
        with self._lock:
            user_id = self.codes.pop(q.get("code", ""), None)
        if user_id is None:
            return JSONResponse({"errcode": 40029, "errmsg": "invalid code"})
        return JSONResponse({"errcode": 0, "errmsg": "ok", "userid": user_id, "user_ticket": ""})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/cgi-bin/gettoken", self.gettoken),
                Route("/cgi-bin/auth/getuserinfo", self.getuserinfo),
                Route("/connect/oauth2/authorize", self.authorize),
                Route("/wwlogin/sso/login", self.authorize),
                Route("/cgi-bin/message/send", self.message_send, methods=["POST"]),
                Route(
                    "/cgi-bin/message/update_template_card",
                    self.update_template_card,
                    methods=["POST"],
                ),
                Route("/cgi-bin/webhook/send", self.webhook_send, methods=["POST"]),
            ]
        )

    def start(self) -> FakeWeCom:
        self.port = self.port or free_port()
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake WeCom did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str


class _Handler:
    def __init__(self, box: list[Mail]) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content)
        payload = msg.get_payload(decode=True)
        text = (
            payload.decode(msg.get_content_charset() or "utf-8")
            if isinstance(payload, bytes)
            else ""
        )
        subject = str(make_header(decode_header(msg.get("Subject", ""))))
        self.box.append(Mail(list(envelope.rcpt_tos), subject, text))
        return "250 Message accepted"


class FakeSMTP:
    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self.port = free_port()
        self._controller = Controller(_Handler(self.messages), hostname="127.0.0.1", port=self.port)

    def start(self) -> FakeSMTP:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
