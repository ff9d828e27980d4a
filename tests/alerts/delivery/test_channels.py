"""The WeCom and SMTP adapters against loopback servers that speak the contracts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from services.alerts.delivery.channels import ChannelError, Mailer, WeComApp, WeComRobot
from tests.alerts.fakes import FakeSMTP, FakeWeCom


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSMTP]:
    fake = FakeSMTP().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest_asyncio.fixture
async def client(wecom: FakeWeCom) -> AsyncIterator[httpx.AsyncClient]:
    wecom.reset()
    wecom.expire_token()
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


def app_of(wecom: FakeWeCom, client: httpx.AsyncClient) -> WeComApp:
    return WeComApp(client, wecom.base, wecom.corp_id, wecom.corp_secret, 1000002)


async def test_robot_text_carries_mentions(wecom: FakeWeCom, client: httpx.AsyncClient) -> None:
    robot = WeComRobot(client, wecom.robot_url)
    await robot.send("key-a", "【督查提醒】请督查员报送进度", ["m:13800000001", "u:zhangsan"])
    [msg] = wecom.robot_messages
    assert msg["key"] == "key-a"
    assert msg["msgtype"] == "text"
    assert msg["text"]["mentioned_mobile_list"] == ["13800000001"]
    assert msg["text"]["mentioned_list"] == ["zhangsan"]


async def test_robot_markdown_mentions_user_ids(
    wecom: FakeWeCom, client: httpx.AsyncClient
) -> None:
    robot = WeComRobot(client, wecom.robot_url, markdown=True)
    await robot.send("key-md", "**【督查提醒】**请督查员报送进度", ["m:13800000001", "u:zhangsan"])
    [msg] = wecom.robot_messages
    assert msg["msgtype"] == "markdown"
    assert msg["markdown"]["content"] == "**【督查提醒】**请督查员报送进度\n<@zhangsan>"


@pytest.mark.parametrize(
    ("code", "permanent", "retry_after"),
    [(93000, True, None), (45009, False, 60.0), (40035, False, None), (-1, False, None)],
)
async def test_robot_errcodes_are_failures(
    wecom: FakeWeCom,
    client: httpx.AsyncClient,
    code: int,
    permanent: bool,
    retry_after: float | None,
) -> None:
    wecom.script("key-b", code)
    with pytest.raises(ChannelError) as e:
        await WeComRobot(client, wecom.robot_url).send("key-b", "x")
    assert e.value.permanent is permanent
    assert e.value.retry_after == retry_after
    assert str(code) in str(e.value)
    assert wecom.robot_messages == []


async def test_robot_rate_limit_answers_45009(wecom: FakeWeCom, client: httpx.AsyncClient) -> None:
    robot = WeComRobot(client, wecom.robot_url)
    for i in range(20):
        await robot.send("key-c", f"m{i}")
    with pytest.raises(ChannelError) as e:
        await robot.send("key-c", "one too many")
    assert e.value.retry_after == 60.0
    assert len(wecom.robot_messages) == 20


async def test_app_token_fetched_once_under_concurrency(
    wecom: FakeWeCom, client: httpx.AsyncClient
) -> None:
    app = app_of(wecom, client)
    await asyncio.gather(*(app.send([f"user{i}"], "你好") for i in range(10)))
    assert wecom.token_fetches == 1
    assert len(wecom.app_messages) == 10
    assert wecom.app_messages[0]["agentid"] == 1000002
    assert wecom.app_messages[0]["msgtype"] == "text"


@pytest.mark.parametrize("code", [40014, 42001])
async def test_app_refreshes_token_once_on_invalid_or_expired(
    wecom: FakeWeCom, client: httpx.AsyncClient, code: int
) -> None:
    app = app_of(wecom, client)
    await app.send(["lisi"], "first")
    assert wecom.token_fetches == 1
    if code == 40014:
        wecom.expire_token()  # the server no longer knows the cached token
    else:
        wecom.script("lisi", code)  # the server says it expired (and forgets it)
    await app.send(["lisi"], "second")
    assert wecom.token_fetches == 2
    assert [m["text"]["content"] for m in wecom.app_messages] == ["first", "second"]


async def test_app_gives_up_after_one_refresh(wecom: FakeWeCom, client: httpx.AsyncClient) -> None:
    app = app_of(wecom, client)
    wecom.script("wangwu", 42001, 42001)
    with pytest.raises(ChannelError) as e:
        await app.send(["wangwu"], "x")
    assert "42001" in str(e.value)
    assert wecom.token_fetches == 2


@pytest.mark.parametrize(
    ("code", "permanent", "retry_after"),
    [(81013, True, None), (45009, False, 60.0), (60020, False, None)],
)
async def test_app_errcodes(
    wecom: FakeWeCom,
    client: httpx.AsyncClient,
    code: int,
    permanent: bool,
    retry_after: float | None,
) -> None:
    wecom.script("zhaoliu", code)
    with pytest.raises(ChannelError) as e:
        await app_of(wecom, client).send(["zhaoliu"], "x")
    assert (e.value.permanent, e.value.retry_after) == (permanent, retry_after)


async def test_app_member_rate_limit(wecom: FakeWeCom, client: httpx.AsyncClient) -> None:
    app = app_of(wecom, client)
    for i in range(30):
        await app.send(["busy"], f"m{i}")
    with pytest.raises(ChannelError) as e:
        await app.send(["busy"], "31st")
    assert e.value.retry_after == 60.0


async def test_wrong_credentials_fail(wecom: FakeWeCom, client: httpx.AsyncClient) -> None:
    app = WeComApp(client, wecom.base, wecom.corp_id, "wrong", 1)
    with pytest.raises(ChannelError):
        await app.send(["a"], "x")


async def test_unreachable_server_is_a_retryable_failure(client: httpx.AsyncClient) -> None:
    with pytest.raises(ChannelError) as e:
        await WeComRobot(client, "http://127.0.0.1:9/cgi-bin/webhook/send").send("k", "x")
    assert not e.value.permanent


async def test_email_is_delivered_and_refusal_is_permanent(smtp: FakeSMTP) -> None:
    mailer = Mailer("127.0.0.1", smtp.port, "ducha@example.gov.cn")
    await mailer.send(
        "li@example.gov.cn", "督查提醒:请报送进度", "【督查提醒】请督查员于2018-06-14前报送进度。"
    )
    [mail] = smtp.messages
    assert mail.to == ["li@example.gov.cn"]
    assert mail.subject == "督查提醒:请报送进度"
    assert "2018-06-14" in mail.body
    with pytest.raises(ChannelError) as e:
        await mailer.send("refuse@example.gov.cn", "x", "y")
    assert e.value.permanent
    down = Mailer("127.0.0.1", 9, "ducha@example.gov.cn", timeout=2)
    with pytest.raises(ChannelError) as e:
        await down.send("li@example.gov.cn", "x", "y")
    assert not e.value.permanent
