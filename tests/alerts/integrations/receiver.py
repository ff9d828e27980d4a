"""A department's loopback webhook receiver. It verifies every request with the reference
``standardwebhooks`` library (never with Ducha's own signing code), records what it
accepted, can be scripted to fail or to answer slowly (``delay``: requests stay in flight),
and can go down (stop listening) and come back on the same port."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.alerts.fakes import free_port


@dataclass
class Received:
    at: float  # time.time() when accepted
    webhook_id: str
    event: dict[str, Any]
    verified_by: list[int]  # indexes into Receiver.secrets that verified it


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)
    port: int = 0
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    fail_next: int = 0
    big_answer: bool = False
    delay: float = 0.0  # seconds each accepted request is held before the answer
    in_flight: int = 0  # requests accepted and not yet answered
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r.event for r in self.received if type_ is None or r.event["type"] == type_]

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        hdrs = {k: v for k, v in request.headers.items()}
        verified = []
        for i, secret in enumerate(list(self.secrets)):
            try:
                Webhook(secret).verify(body, hdrs)
                verified.append(i)
            except Exception:
                pass
        if not verified:
            with self._lock:
                self.rejected.append(hdrs.get("webhook-id", ""))
            return Response(status_code=401)
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response("try later", status_code=500)
            self.received.append(
                Received(time.time(), hdrs["webhook-id"], json.loads(body), verified)
            )
        if self.big_answer:
            return Response(b"x" * 1_000_000)
        if self.delay:
            with self._lock:
                self.in_flight += 1
            try:
                await asyncio.sleep(self.delay)
            finally:
                with self._lock:
                    self.in_flight -= 1
        return Response(status_code=204)

    def start(self) -> Receiver:
        self.port = self.port or free_port()
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("receiver did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
