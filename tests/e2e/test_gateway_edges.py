"""The gateway's edges in production mode: what a careless or hostile client gets back.

Every refusal comes with a stable code; the two attack queries found in review are refused
quickly, and a normal query keeps its latency while they are being sent.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
import websockets

from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import running_platform, token, wait_for

PERSON = "fragment P on Person { id name performance { score lines { points } } }"
UNIT = "fragment U on Unit { id name alertCounts { level count } }"


def alias_attack(n: int) -> str:
    owners = " ".join(f"a{i}: owners {{ ...P }}" for i in range(n))
    return f"{{ items(first: 200) {{ nodes {{ {owners} }} }} }} {PERSON}"


def unit_attack(n: int) -> str:
    units = " ".join(f"a{i}: unit {{ ...U }}" for i in range(n))
    return f"{{ people(first: 1000) {{ {units} }} }} {UNIT}"


@pytest.fixture(scope="module")
def prod_stack(settings: Settings) -> Iterator[Stack]:
    with running_platform(
        settings,
        DEV_MODE="false",
        # the heap a 768Mi gateway container gets (deploy/base/gateway.yaml)
        NODE_OPTIONS="--max-old-space-size=512",
    ) as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def http(prod_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as c:
        yield c


def _bearer(settings: Settings, *roles: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token(settings, *roles)}"}


async def _post(
    http: httpx.AsyncClient,
    url: str,
    query: str,
    headers: dict[str, str],
    variables: dict[str, Any] | None = None,
) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    r = await http.post(url, json={"query": query, "variables": variables or {}}, headers=headers)
    return r, (time.perf_counter() - started) * 1000


def _codes(r: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in r.json().get("errors", [])]


async def _normal_latency(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    samples = []
    for _ in range(15):
        r, ms = await _post(http, url, "{ units { id name } }", headers)
        assert r.status_code == 200 and "errors" not in r.json(), r.text
        samples.append(ms)
    return statistics.median(samples)


@pytest.mark.e2e
async def test_attack_queries_are_refused_fast_and_others_keep_their_latency(
    prod_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    url = prod_stack.gateway_url
    office, cadre = _bearer(settings), _bearer(settings, "CADRE")
    before = await _normal_latency(http, url, office)
    attacks = [
        (alias_attack(280), office, "MAX_ALIASES_EXCEEDED"),
        (unit_attack(280), cadre, "MAX_ALIASES_EXCEEDED"),
        # within the alias limit, the price decides
        (alias_attack(20), office, "COST_ESTIMATED_TOO_EXPENSIVE"),
        (unit_attack(25), cadre, "COST_ESTIMATED_TOO_EXPENSIVE"),
        (
            "{ items(first: 100000) { nodes { id owners { id } } } }",
            office,
            "COST_ESTIMATED_TOO_EXPENSIVE",
        ),
    ]
    for query, headers, code in attacks:
        for _ in range(3):
            r, ms = await _post(http, url, query, headers)
            assert r.status_code < 500
            assert _codes(r) == [code], r.text[:500]
            assert "data" not in r.json() or not r.json()["data"], r.text[:300]
            assert ms < 2000, ms  # generous on a shared machine; typically ~20 ms
    cost = (await _post(http, url, alias_attack(20), office))[0].json()["errors"][0]
    assert "exceeded configured maximum" in cost["message"]  # says by how much
    page = "{ items(first: 50) { nodes { id code title leadUnit { name } owners { name } } } }"
    r, _ = await _post(http, url, page, office)
    assert "errors" not in r.json(), r.text[:300]  # an ordinary page is well within the price
    after = await _normal_latency(http, url, office)
    assert after <= max(2 * before, before + 20), (before, after)
    # the gateway is alive and under its container's limit
    health = await http.get(url.replace("/graphql", "/healthcheck"))
    assert health.status_code == 200
    gateway = next(p for p in prod_stack.procs if "hive-gateway" in str(p.args))
    status = await asyncio.to_thread(Path(f"/proc/{gateway.pid}/status").read_text)
    rss_kib = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmHWM:")))
    assert rss_kib < 768 * 1024, rss_kib


@pytest.mark.e2e
async def test_request_shapes_outside_json_post_are_refused(
    prod_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    url = prod_stack.gateway_url
    auth = _bearer(settings)
    form = await http.post(
        url,
        content=b"query=%7Bunits%7Bid%7D%7D",
        headers={**auth, "content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415 and _codes(form) == ["UNSUPPORTED_MEDIA_TYPE"]
    multipart = await http.post(url, files={"operations": ("o", b"{}")}, headers=auth)
    assert multipart.status_code == 415
    big = json.dumps({"query": "{ units { id } }", "pad": "x" * 5_000_000}).encode()
    r = await http.post(url, content=big, headers={**auth, "content-type": "application/json"})
    assert r.status_code == 413 and _codes(r) == ["REQUEST_TOO_LARGE"]
    batch = await http.post(url, json=[{"query": "{ units { id } }"}] * 50, headers=auth)
    assert batch.status_code >= 400 and "data" not in batch.text
    nested = "{ items(first: 1) { nodes { " + "leadUnit { id " * 12 + "}" * 12 + " } } }"
    r, _ = await _post(http, url, nested, auth)
    assert _codes(r) and _codes(r)[0] in {"MAX_DEPTH_EXCEEDED", "GRAPHQL_VALIDATION_FAILED"}
    # a GET (a browser's simple request) needs a header only a script can set
    get = await http.get(url, params={"query": "{ units { id } }"})
    assert get.status_code in {401, 403}


@pytest.mark.e2e
async def test_cors_is_closed_in_production(prod_stack: Stack, http: httpx.AsyncClient) -> None:
    r = await http.options(
        prod_stack.gateway_url,
        headers={
            "origin": "https://evil.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type",
        },
    )
    assert r.headers.get("access-control-allow-origin") in {None, ""}, dict(r.headers)
    assert r.headers.get("access-control-allow-credentials") != "true"


@pytest.mark.e2e
async def test_every_authentication_failure_is_401_unauthenticated(
    prod_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    secret, now = settings.signing_secret(), int(time.time())
    claims = {"sub": "x", "roles": ["SUPERVISION_OFFICE"], "iss": "ducha", "aud": "ducha"}
    bad = {
        "missing": None,
        "basic": "Basic dXNlcjpwYXNz",
        "malformed": "Bearer abc.def",
        "garbage": "Bearer " + "x" * 40,
        "expired": "Bearer " + jwt.encode({**claims, "exp": now - 60}, secret),
        "no exp": "Bearer " + jwt.encode(claims, secret),
        "wrong key": "Bearer "
        + jwt.encode({**claims, "exp": now + 60}, "another-secret-of-32-bytes-or-more"),
        "alg none": "Bearer " + jwt.encode({**claims, "exp": now + 60}, "", algorithm="none"),
    }
    for name, header in bad.items():
        headers = {"authorization": header} if header else {}
        r, _ = await _post(http, prod_stack.gateway_url, "{ units { id } }", headers)
        assert r.status_code == 401, (name, r.status_code, r.text)
        assert _codes(r) == ["UNAUTHENTICATED"], (name, r.text)


@pytest.mark.e2e
async def test_a_remembered_token_is_refused_once_expired_or_changed(
    prod_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    """The gateway remembers the tokens it verified (gateway/token-cache.ts): still, the
    moment one expires it is refused by the gateway itself, and a token with one byte
    changed is another token, verified and refused."""
    secret = settings.signing_secret()
    exp = int(time.time()) + 4
    claims = {"sub": "x", "roles": ["SUPERVISION_OFFICE"], "iss": "ducha", "aud": "ducha"}
    good = jwt.encode({**claims, "exp": exp}, secret)
    for _ in range(3):  # verified once, then remembered
        r, _ = await _post(
            http, prod_stack.gateway_url, "{ units { id } }", {"authorization": f"Bearer {good}"}
        )
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    head, payload, signature = good.split(".")
    changed = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    r, _ = await _post(
        http, prod_stack.gateway_url, "{ units { id } }", {"authorization": f"Bearer {changed}"}
    )
    assert r.status_code == 401 and _codes(r) == ["UNAUTHENTICATED"], r.text

    async def refused_by_the_gateway() -> httpx.Response | None:
        r, _ = await _post(
            http, prod_stack.gateway_url, "{ units { id } }", {"authorization": f"Bearer {good}"}
        )
        return r if r.status_code != 200 or "errors" in r.json() else None

    r = await wait_for(refused_by_the_gateway, timeout=15, interval=0.2)
    assert time.time() >= exp - 1
    # the gateway's own refusal (a 401 before any subgraph is asked), not a subgraph's
    assert r.status_code == 401 and _codes(r) == ["UNAUTHENTICATED"], r.text
    assert r.json().get("data") is None


@pytest.mark.e2e
async def test_introspection_and_suggestions_are_closed_in_production(
    prod_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    url = prod_stack.gateway_url
    r, _ = await _post(http, url, "{ __schema { types { name } } }", _bearer(settings))
    assert "errors" in r.json() and not r.json().get("data")
    grant = {"authorization": f"Bearer {token(settings, ops=['introspect'])}"}
    r, _ = await _post(http, url, "{ __schema { queryType { name } } }", grant)
    assert r.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    queries = [
        "{ unitz { id } }",
        "{ items(first: 1, filter: { sources: [LEADER_INSTRUCTIO] }) { nodes { id } } }",
        "query($s: [ItemSource!]) { items(first: 1, filter: { sources: $s }) { nodes { id } } }",
    ]
    for query in queries:
        variables = {"s": ["LEADER_INSTRUCTIO"]} if "$s" in query else None
        r, _ = await _post(http, url, query, _bearer(settings), variables)
        assert r.json()["errors"], r.text
        assert "Did you mean" not in r.text, r.text


async def _ws_init(url: str, payload: dict[str, str] | None) -> tuple[str, object]:
    """Open a graphql-transport-ws connection; what the gateway answers to connection_init."""
    ws_url = url.replace("http://", "ws://")
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except websockets.ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None
        return "message", message["type"]


@pytest.mark.e2e
async def test_websocket_refuses_missing_or_bad_tokens_at_connection(
    prod_stack: Stack, settings: Settings
) -> None:
    url = prod_stack.gateway_url
    assert await _ws_init(url, None) == ("closed", 4401)
    assert await _ws_init(url, {"authorization": "Bearer not-a-token"}) == ("closed", 4401)
    expired = jwt.encode(
        {"sub": "x", "exp": int(time.time()) - 5, "iss": "ducha", "aud": "ducha"},
        settings.signing_secret(),
    )
    assert await _ws_init(url, {"authorization": f"Bearer {expired}"}) == ("closed", 4401)
    good = {"authorization": f"Bearer {token(settings)}"}
    assert await _ws_init(url, good) == ("message", "connection_ack")


@pytest.mark.e2e
async def test_sse_subscriptions_refuse_missing_or_bad_tokens(
    prod_stack: Stack, http: httpx.AsyncClient, settings: Settings
) -> None:
    subscription = {"query": "subscription { alertLevelChanged { itemId level } }"}
    for header in (None, "Bearer not-a-token"):
        headers = {"accept": "text/event-stream", **({"authorization": header} if header else {})}
        r = await http.post(prod_stack.gateway_url, json=subscription, headers=headers)
        assert r.status_code == 401, (header, r.status_code, r.text[:200])
        assert "UNAUTHENTICATED" in r.text
    good = {"accept": "text/event-stream", "authorization": f"Bearer {token(settings)}"}
    async with http.stream("POST", prod_stack.gateway_url, json=subscription, headers=good) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")


async def _healthcheck_on(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET /healthcheck HTTP/1.1\r\nHost: gateway\r\nConnection: keep-alive\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    fields = dict(
        (k.strip().lower(), v.strip())
        for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
    )
    if fields.get(b"transfer-encoding") == b"chunked":
        await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 10)
    else:
        await reader.readexactly(int(fields.get(b"content-length", b"0")))
    return head.split(b"\r\n", 1)[0]


@pytest.mark.e2e
async def test_an_idle_client_connection_outlives_nodes_default_keep_alive(
    prod_stack: Stack,
) -> None:
    """An ingress keeps idle upstream connections 60 s; the gateway must not close first.

    With Node's default (5 s) the gateway closed idle connections while the proxy could
    still pick one for a request, which then failed. The connection stays open through a
    7 s idle spell and serves the next request.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", prod_stack.gateway_port)
    try:
        assert (await _healthcheck_on(reader, writer)).endswith(b"200 OK")
        # the server closing the idle connection would end this read early with b""
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 7)
        assert (await _healthcheck_on(reader, writer)).endswith(b"200 OK")
    finally:
        writer.close()
