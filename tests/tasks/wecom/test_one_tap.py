"""One-tap actions in WeCom, end to end: tasks and alerts in-process on real PostgreSQL
and NATS, WeCom played by the loopback fake. A new assignment reaches the unit
supervisor as a template card; pressing 签收 comes back through the encrypted callback,
runs the same sign use-case as the GraphQL mutation (access check, audit, event), and
the card is updated to show who signed and when. A replayed callback does nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn

from services.core.embedded import free_port
from services.core.settings import Settings
from services.tasks.wecom.crypto import CallbackCrypto, CallbackRejected
from tests.alerts.fakes import FakeWeCom
from tests.support.servers import GraphQLClient, running_service, wait_for
from tests.tasks.support import make_item, make_unit

ITEM = """query($id: ID!) { item(id: $id) { assignments { unitId state signedAt } } }"""
AUDIT = """query($id: ID!) { auditTrail(itemId: $id) { entries { action actorId } } }"""


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def config(settings: Settings, wecom: FakeWeCom) -> Settings:
    return settings.model_copy(
        update={
            "wecom_api_base": wecom.base,
            "wecom_corp_id": wecom.corp_id,
            "wecom_corp_secret": wecom.corp_secret,
            "wecom_agent_id": 1000002,
            "wecom_callback_token": wecom.callback_token,
            "wecom_callback_aes_key": wecom.encoding_aes_key,
            "delivery_interval_seconds": 0.2,
            "mobile_base_url": "https://ducha.example.gov.cn/m",
        }
    )


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """The (already started) app also on a loopback port, so the fake can call it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: _started(server))
    try:
        yield f"http://127.0.0.1:{port}/wecom/callback"
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


@pytest_asyncio.fixture(scope="module")
async def world(config: Settings) -> AsyncIterator[dict[str, Any]]:
    async with (
        running_service("tasks", config) as (tasks_app, office),
        running_service("alerts", config) as (alerts_app, _),
        serving(tasks_app) as callback_url,
    ):
        unit = await make_unit(office, "东城街道")
        other = await make_unit(office, "西城街道")
        supervisor = await _person(office, unit, "李督查", "li.du")
        stranger = await _person(office, other, "周督查", "zhou.du")
        yield {
            "office": office,
            "tasks": tasks_app,
            "alerts": alerts_app,
            "unit": unit,
            "supervisor": supervisor,
            "stranger": stranger,
            "url": callback_url,
        }


async def _person(office: GraphQLClient, unit: str, name: str, user: str) -> str:
    data = await office(
        "mutation ($u: ID, $n: String!, $w: String) {"
        ' personCreate(input: {name: $n, unitId: $u, wecomUserId: $w, roles: ["UNIT_SUPERVISOR"]}) {'
        " ... on PersonCreateSuccess { person { id } } } }",
        {"u": unit, "n": name, "w": user},
    )
    return str(data["personCreate"]["person"]["id"])


def _action_cards(wecom: FakeWeCom, user: str) -> list[dict[str, Any]]:
    """The cards with buttons a member got (reminders come as text_notice cards too)."""
    return [c for c in wecom.cards(user) if c["card_type"] == "button_interaction"]


def _button(card: dict[str, Any], text: str) -> dict[str, Any]:
    return next(b for b in card["button_list"] if b["text"] == text)


async def test_the_callback_url_check_answers_the_echostr(
    world: dict[str, Any], wecom: FakeWeCom
) -> None:
    r = await asyncio.to_thread(wecom.verify_url, world["url"], "echo-42")
    assert r.status_code == 200 and r.text == "echo-42"
    forged = await asyncio.to_thread(
        httpx.get,
        world["url"],
        params={"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n", "echostr": "x"},
    )
    assert forged.status_code == 403


async def test_pressing_sign_on_the_card_signs_the_item(
    world: dict[str, Any], wecom: FakeWeCom
) -> None:
    office: GraphQLClient = world["office"]
    alerts = world["alerts"]

    async def projected() -> bool:
        n = await alerts.state.pool.fetchval(
            "SELECT count(*) FROM people WHERE wecom_user_id IN ('li.du', 'zhou.du')"
        )
        return bool(n == 2)

    await wait_for(projected)
    item = await make_item(office, world["unit"], title="背街小巷环境整治")

    async def card() -> dict[str, Any] | None:
        found = [c for c in _action_cards(wecom, "li.du") if item in _button(c, "签收")["key"]]
        return found[0] if found else None

    sent = await wait_for(card)
    assert sent["card_type"] == "button_interaction"
    assert [b["text"] for b in sent["button_list"]] == ["签收", "退回", "去汇报"]
    assert _button(sent, "去汇报")["url"] == f"https://ducha.example.gov.cn/m/items/{item}"
    assert not _action_cards(wecom, "zhou.du")  # another unit's supervisor gets no card

    # someone of another unit presses the same button: the same access check refuses
    await asyncio.to_thread(
        wecom.press, world["url"], "zhou.du", sent["task_id"], _button(sent, "签收")["key"], "rc-0"
    )
    # the supervisor presses 签收
    query, body = wecom.press_request(
        "li.du", sent["task_id"], _button(sent, "签收")["key"], "rc-1"
    )
    r = await asyncio.to_thread(httpx.post, world["url"], params=query, content=body)
    assert r.status_code == 200

    data = await office(ITEM, {"id": item})
    (assignment,) = data["item"]["assignments"]
    assert assignment["state"] == "SIGNED" and assignment["signedAt"]
    entries = (await office(AUDIT, {"id": item}))["auditTrail"]["entries"]
    signed = [e for e in entries if e["action"] == "assignment.signed"]
    assert [e["actorId"] for e in signed] == [world["supervisor"]]

    async def updated() -> dict[str, Any] | None:
        found = [u for u in wecom.card_updates if u["response_code"] == "rc-1"]
        return found[0] if found else None

    update = await wait_for(updated)
    assert update["userids"] == ["li.du"]
    text = update["button"]["replace_name"]
    assert text.startswith("已签收 · 李督查 · "), text

    # replaying the same callback does nothing twice
    again = await asyncio.to_thread(httpx.post, world["url"], params=query, content=body)
    assert again.status_code == 200
    entries = (await office(AUDIT, {"id": item}))["auditTrail"]["entries"]
    assert len([e for e in entries if e["action"] == "assignment.signed"]) == 1
    handled = await world["tasks"].state.pool.fetch(
        "SELECT wecom_user_id, done, message FROM wecom_callbacks ORDER BY received_at"
    )
    assert [(h["wecom_user_id"], h["done"]) for h in handled] == [
        ("zhou.du", False),
        ("li.du", True),
    ]
    assert handled[0]["message"].startswith("未能办理")
    await asyncio.sleep(0)  # the update count stays at one for rc-1
    assert len([u for u in wecom.card_updates if u["response_code"] == "rc-1"]) == 1


async def test_pressing_read_on_a_notice_card_acknowledges_it(
    world: dict[str, Any], wecom: FakeWeCom
) -> None:
    office: GraphQLClient = world["office"]
    item = await make_item(office, world["unit"], title="老旧小区改造")
    data = await office(
        "mutation ($i: NoticeIssueInput!) { noticeIssue(input: $i) {"
        " ... on NoticeIssueSuccess { notice { id } } ... on UserError { message } } }",
        {
            "i": {
                "itemId": item,
                "responseDeadline": "2099-07-05",
                "recipients": [{"personId": world["supervisor"], "role": "UNIT_SUPERVISOR"}],
            }
        },
    )
    notice = data["noticeIssue"]["notice"]["id"]

    async def card() -> dict[str, Any] | None:
        found = [c for c in _action_cards(wecom, "li.du") if notice in c["button_list"][0]["key"]]
        return found[0] if found else None

    sent = await wait_for(card)
    assert [b["text"] for b in sent["button_list"]] == ["已阅", "去汇报"]
    r = await asyncio.to_thread(
        wecom.press, world["url"], "li.du", sent["task_id"], _button(sent, "已阅")["key"], "rc-2"
    )
    assert r.status_code == 200
    got = await office(
        "query ($id: ID!) { notice(id: $id) { recipients { personId acknowledgedAt } } }",
        {"id": notice},
    )
    (recipient,) = got["notice"]["recipients"]
    assert recipient["personId"] == world["supervisor"] and recipient["acknowledgedAt"]

    async def updated() -> dict[str, Any] | None:
        found = [u for u in wecom.card_updates if u["response_code"] == "rc-2"]
        return found[0] if found else None

    assert (await wait_for(updated))["button"]["replace_name"].startswith("已阅 · 李督查")


def test_crypto_rejects_tampering_and_foreign_corps(wecom: FakeWeCom) -> None:
    mine = CallbackCrypto(wecom.callback_token, wecom.encoding_aes_key, wecom.corp_id)
    query, body = wecom.press_request("u", "t", "SIGN|a|b", "rc")
    msg = mine.open(query["msg_signature"], query["timestamp"], query["nonce"], body)
    assert msg["FromUserName"] == "u" and msg["Event"] == "template_card_event"
    with pytest.raises(CallbackRejected):
        mine.open("0" * 40, query["timestamp"], query["nonce"], body)
    other = CallbackCrypto(wecom.callback_token, wecom.encoding_aes_key, "ww-other-corp")
    with pytest.raises(CallbackRejected, match="corp id"):
        other.open(query["msg_signature"], query["timestamp"], query["nonce"], body)
    with pytest.raises(CallbackRejected):
        mine.open("x", "1", "n", b'<!DOCTYPE x [<!ENTITY a "b">]><xml/>')
