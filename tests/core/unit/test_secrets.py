"""Secrets stay secret (issue 10, part 6): logs, transports, tokens and request ids."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from services.alerts.delivery.channels import ChannelError, Mailer, WeComApp
from services.core.app_factory import RequestContextMiddleware
from services.core.auth import AuthError, Role, TokenVerifier, mint_token
from services.core.logs import (
    CLIENT_LOGGERS,
    accepted_request_id,
    configure_logging,
    request_id_var,
    scrub_secrets,
)
from services.core.settings import Settings

SECRET = "unit-test-secret-0123456789-abcdefghijklmnop"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("GET https://qyapi/cgi-bin/gettoken?corpid=ww1&corpsecret=S3cr3t-x HTTP/1.1", "S3cr3t-x"),
        ("POST https://qyapi/cgi-bin/webhook/send?key=693a91f6-7d1", "693a91f6-7d1"),
        ("POST https://qyapi/cgi-bin/message/send?access_token=AT_123&x=1", "AT_123"),
        ('{"password": "p@ss"}', "p@ss"),
        ("authorization: Bearer eyJ.abc.def", "eyJ.abc.def"),
    ],
)
def test_credentials_are_scrubbed(text: str, hidden: str) -> None:
    clean = scrub_secrets(text)
    assert hidden not in clean and "***" in clean


def test_ordinary_text_is_left_alone() -> None:
    for text in ("token verification failed", "monkey=1", "重点工作 KEY_WORK"):
        assert scrub_secrets(text) == text


async def test_client_libraries_do_not_log_request_urls(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in CLIENT_LOGGERS})
    configure_logging("DEBUG", json_output=False, service="alerts")
    try:
        assert all(
            logging.getLogger(n).getEffectiveLevel() >= logging.WARNING for n in CLIENT_LOGGERS
        )

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("gettoken"):
                return httpx.Response(
                    200, json={"errcode": 0, "access_token": "AT-9", "expires_in": 7200}
                )
            return httpx.Response(200, json={"errcode": 0})

        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            app = WeComApp(client, "https://qyapi.example", "ww1", "CORP-SECRET-1", 1000002)
            await app.send(["zhangsan"], "你好")
        # our own lines are scrubbed too
        logging.getLogger("services.test").warning("failed: GET /x?corpsecret=CORP-SECRET-1")
        try:
            raise RuntimeError("POST /send?access_token=AT-9")
        except RuntimeError:
            logging.getLogger("services.test").exception("boom")
    finally:  # the handler writes to capsys's stream, closed after this test
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    err = capsys.readouterr().err
    assert "failed: GET /x?corpsecret=***" in err and "boom" in err
    assert "CORP-SECRET-1" not in err and "AT-9" not in err


def test_channel_errors_carry_no_credentials() -> None:
    e = ChannelError("HTTP error for https://q/send?key=KEY-1: refused")
    assert "KEY-1" not in str(e)


@pytest.mark.parametrize("use_ssl", [False, True])
def test_smtp_tls_verifies_the_certificate(monkeypatch: pytest.MonkeyPatch, use_ssl: bool) -> None:
    seen: list[ssl.SSLContext] = []

    class FakeSMTP:
        def __init__(self, *a: Any, context: ssl.SSLContext | None = None, **kw: Any) -> None:
            if context is not None:
                seen.append(context)

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *a: Any) -> None:
            pass

        def starttls(self, context: ssl.SSLContext | None = None) -> None:
            assert context is not None, "STARTTLS without a context checks no certificate"
            seen.append(context)

        def login(self, user: str, password: str) -> None:
            pass

        def send_message(self, msg: Any) -> None:
            pass

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSMTP)
    mailer = Mailer(
        "smtp.example.gov.cn", 465 if use_ssl else 587, "d@x", "u", "p", True, 5, use_ssl
    )
    asyncio.run(mailer.send("li@example.gov.cn", "主题", "正文"))
    assert len(seen) == 1
    assert seen[0].verify_mode == ssl.CERT_REQUIRED and seen[0].check_hostname


def settings(**kw: Any) -> Settings:
    return Settings(jwt_secret=SECRET, data_dir=Path("/nonexistent"), **kw)


def test_verified_claims_are_cached_until_exp(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    s = settings()
    verifier = TokenVerifier(s, clock=lambda: now[0])
    token = jwt.encode(
        {"sub": "p", "roles": ["CADRE"], "iss": "ducha", "aud": "ducha", "exp": 2_000_000_000},
        SECRET,
        algorithm="HS256",
    )
    calls: list[int] = []
    real = jwt.decode

    def counting(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(jwt, "decode", counting)
    assert verifier.verify(token) == verifier.verify(token)
    assert len(calls) == 1
    now[0] = 2_000_000_000  # past exp by the cache's clock: verified again, not reused
    verifier.verify(token)
    assert len(calls) == 2


def test_a_tampered_token_is_refused_every_time_and_never_cached() -> None:
    verifier = TokenVerifier(settings())
    good = mint_token(settings(), "p", ["CADRE"])
    header, payload, signature = good.split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"CADRE"', b'"LEADER"')
    ).decode()
    forged = f"{header}.{forged_payload}.{signature}"
    assert verifier.verify(good).roles == {Role.CADRE}
    for _ in range(2):  # the second try must not find a cached "valid" entry either
        with pytest.raises(AuthError):
            verifier.verify(forged)
    assert forged not in verifier._verified
    wrong_key = jwt.encode(
        {"sub": "p", "roles": ["LEADER"], "iss": "ducha", "aud": "ducha", "exp": 4_000_000_000},
        SECRET + "-other",
        algorithm="HS256",
    )
    with pytest.raises(AuthError):
        verifier.verify(wrong_key)
    assert wrong_key not in verifier._verified


def test_an_expired_token_is_refused_and_not_cached() -> None:
    verifier = TokenVerifier(settings())
    expired = mint_token(settings(), "p", ["CADRE"], ttl_seconds=-10)
    with pytest.raises(AuthError):
        verifier.verify(expired)
    assert expired not in verifier._verified


def test_the_cache_is_bounded() -> None:
    verifier = TokenVerifier(settings(token_cache_size=3))
    for i in range(10):
        verifier.verify(mint_token(settings(), f"p-{i}", ["CADRE"]))
    assert len(verifier._verified) == 3


async def test_jwks_keys_are_fetched_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(
        settings(jwt_jwks_url="https://idp.example/jwks", jwt_algorithm="HS256")
    )
    threads: list[threading.Thread] = []

    def signing_key(token: str) -> str:
        threads.append(threading.current_thread())
        return SECRET

    monkeypatch.setattr(verifier, "_signing_key", signing_key)
    token = mint_token(settings(), "p", ["CADRE"])
    principal = await verifier.verify_header_async(f"Bearer {token}")
    assert principal.subject == "p"
    assert threads and threads[0] is not threading.main_thread()
    await verifier.verify_async(token)
    assert len(threads) == 1  # the claims are cached


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("req-1:abc_DEF.9", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("a b", False),
        ("<script>", False),
        ("中文", False),
        ("", False),
    ],
)
def test_request_ids_are_bounded_and_plain(given: str, kept: bool) -> None:
    rid = accepted_request_id(given, 128)
    assert (rid == given) is kept
    if not kept:
        assert len(uuid.UUID(rid).hex) == 32


def test_the_middleware_replaces_a_hostile_request_id() -> None:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request_id_var.get() or "")

    app = Starlette(routes=[Route("/", echo)])
    app.add_middleware(RequestContextMiddleware, service="t", request_id_max_length=16)
    client = TestClient(app)
    ok = client.get("/", headers={"x-request-id": "abc-123"})
    assert ok.text == "abc-123" and ok.headers["x-request-id"] == "abc-123"
    long = client.get("/", headers={"x-request-id": "a" * 5000})
    assert long.text != "a" * 5000 and len(long.text) == 32
    assert long.headers["x-request-id"] == long.text
