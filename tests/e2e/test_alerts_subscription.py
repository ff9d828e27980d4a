"""Colour changes pushed live: client → Hive Gateway (WebSocket and SSE) → alerts subgraph."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from services.core.settings import Settings
from services.stack import Stack
from tests.support.servers import GraphQLClient, token, wait_for

SUBSCRIBE = """
subscription($unit: ID) { alertLevelChanged(unitId: $unit) {
  item { id title } code previousLevel level unitIds reason ruleVersion changedAt } }"""
CREATE_UNIT = """
mutation($input: UnitCreateInput!) { unitCreate(input: $input) {
  ... on UnitCreateSuccess { unit { id } } } }"""
CREATE_ITEM = """
mutation($input: ItemCreateInput!) { itemCreate(input: $input) {
  __typename ... on ItemCreateSuccess { item { id } } ... on UserError { code message } } }"""


async def ws_subscribe(url: str, bearer: str, variables: dict[str, Any], out: list[Any]) -> None:
    """A graphql-transport-ws client that authenticates with connectionParams only."""
    ws_url = url.replace("http://", "ws://")
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {bearer}"}}
            )
        )
        ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": variables},
                }
            )
        )
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif msg["type"] in ("next", "error", "complete"):
                out.append(msg)


async def sse_subscribe(url: str, bearer: str, variables: dict[str, Any], out: list[Any]) -> None:
    """A GraphQL-over-SSE client (distinct connection mode) with the bearer header."""
    headers = {"accept": "text/event-stream", "authorization": f"Bearer {bearer}"}
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream(
            "POST", url, json={"query": SUBSCRIBE, "variables": variables}, headers=headers
        ) as r,
    ):
        event = None
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = line.split(":", 1)[1].strip()
                out.append({"type": event or "next", "payload": json.loads(data) if data else None})


@contextlib.asynccontextmanager
async def running(coro: Any) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


def changes_for(messages: list[Any], item_ids: set[str]) -> list[dict[str, Any]]:
    found = []
    for m in messages:
        payload = m.get("payload") or {}
        change = (payload.get("data") or {}).get("alertLevelChanged")
        if change and change["item"]["id"] in item_ids:
            found.append(change)
    return found


@pytest.mark.parametrize("transport", ["websocket", "sse"])
async def test_colour_changes_reach_subscribers_filtered_by_unit(
    transport: str, stack: Stack, gateway: GraphQLClient, settings: Settings
) -> None:
    units = []
    for code in ("A", "B"):
        data = await gateway(
            CREATE_UNIT,
            {
                "input": {
                    "code": f"SUB{transport[:2]}{code}",
                    "name": f"订阅{code}街道",
                    "kind": "STREET",
                    "category": "街道",
                }
            },
        )
        units.append(data["unitCreate"]["unit"]["id"])
    watched, other = units
    # over WebSocket a unit head of both units subscribes (scoped token, connectionParams);
    # over SSE the office (sees everything): either way only the watched unit's changes come
    bearer = (
        token(settings, "UNIT_HEAD", units=[watched, other])
        if transport == "websocket"
        else token(settings)
    )
    subscribe = ws_subscribe if transport == "websocket" else sse_subscribe
    messages: list[Any] = []
    created: dict[str, set[str]] = {watched: set(), other: set()}

    async def create(unit: str) -> None:
        result = await gateway(
            CREATE_ITEM,
            {
                "input": {
                    "title": f"订阅测试事项 {transport}",
                    "leadUnitId": unit,
                    "startDate": "2018-03-01",
                    "deadline": "2018-06-30",
                    "confirmDuplicate": True,  # look-alike items on purpose
                }
            },
        )
        assert result["itemCreate"]["__typename"] == "ItemCreateSuccess", result
        created[unit].add(result["itemCreate"]["item"]["id"])

    async with running(subscribe(stack.gateway_url, bearer, {"unit": watched}, messages)) as task:

        async def received() -> list[dict[str, Any]] | None:
            assert not task.done() or task.exception() is None, task.exception()
            # the subscription has no "ready" signal: keep making changes until one arrives
            await create(other)
            await create(watched)
            return changes_for(messages, created[watched]) or None

        got = await wait_for(received, timeout=60, interval=1.0)

    change = got[0]
    assert change["level"] == "RED" and change["previousLevel"] is None
    assert change["item"]["title"] == f"订阅测试事项 {transport}"  # resolved from tasks
    assert watched in change["unitIds"]
    assert change["code"].startswith("DB-2018-")
    assert not changes_for(messages, created[other]), "filtered by unit"
    assert not [m for m in messages if m["type"] == "error"], messages
