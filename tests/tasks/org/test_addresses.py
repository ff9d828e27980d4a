"""Delivery addresses are checked when a person is saved (typed UserError with the field),
with a real parser for email, WeCom's user-id rule, and the robot-key shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from services.core.addresses import (
    address_problem,
    email_problem,
    robot_key_from,
    robot_key_problem,
    wecom_user_id_problem,
)
from services.core.errors import ValidationFailed
from services.core.settings import Settings
from services.tasks.org.domain import PersonChanges, clean_person
from tests.support.servers import GraphQLClient, running_service
from tests.tasks.support import make_person, make_unit


@pytest.mark.parametrize(
    "good", ["li@example.gov.cn", "wang.wu+duban@jinshui.gov.cn", "x@例子.中国", '"a b"@c.cn']
)
def test_good_emails(good: str) -> None:
    assert email_problem(good) is None


@pytest.mark.parametrize(
    "bad",
    [
        "li@example.gov.cn\nBcc: all@example.gov.cn",  # the newline that jammed a batch
        "li@example.gov.cn\r",
        "bad-email",
        "li@@example.gov.cn",
        "li@example..cn",
        "li@localhost",
        "<li@example.gov.cn>",
        "li@example.gov.cn, wang@example.gov.cn",
        "li wang@example.gov.cn",
        "li@-bad.cn",
        "li@10.0.0.1",
        "a" * 250 + "@x.cn",
    ],
)
def test_bad_emails(bad: str) -> None:
    assert email_problem(bad)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("lijunwei", True),
        ("Li.Jun-wei_01@corp", True),
        ("1380000", True),
        ("_li", False),
        ("李军伟", False),
        ("li jun", False),
        ("li\njun", False),
        ("x" * 65, False),
        ("", False),
    ],
)
def test_wecom_user_ids(value: str, ok: bool) -> None:
    assert (wecom_user_id_problem(value) is None) is ok


def test_robot_keys() -> None:
    key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    assert robot_key_problem(key) is None
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}"
    assert robot_key_from(f"  {url} ") == key
    assert robot_key_from(f" {key}\n") == key
    for bad in (url, "key with space", "k\n", "a/b", ""):
        assert robot_key_problem(bad), bad
    assert address_problem("WECOM_ROBOT", key) is None
    assert address_problem("EMAIL", None) == "没有可用的接收地址"
    assert address_problem("WECOM_APP", "li jun")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (PersonChanges(email="li@example.gov.cn\nBcc: x@y.cn"), "email"),
        (PersonChanges(email="bad-email"), "email"),
        (PersonChanges(wecom_user_id="李 军伟"), "wecomUserId"),
    ],
)
def test_clean_person_rejects_bad_addresses(changes: PersonChanges, field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        clean_person(changes)
    assert e.value.field == field


def test_clean_person_keeps_good_addresses() -> None:
    values = clean_person(PersonChanges(email=" li@example.gov.cn ", wecom_user_id="lijunwei"))
    assert values == {"email": "li@example.gov.cn", "wecom_user_id": "lijunwei"}
    assert clean_person(PersonChanges(email="", wecom_user_id="")) == {
        "email": None,
        "wecom_user_id": None,
    }


@pytest_asyncio.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with running_service("tasks", settings) as (_app, c):
        yield c


CREATE = (
    "mutation ($i: PersonCreateInput!) { personCreate(input: $i) { __typename"
    " ... on PersonCreateSuccess { person { id email wecomUserId } }"
    " ... on UserError { field message } } }"
)
UPDATE = (
    "mutation ($i: PersonUpdateInput!) { personUpdate(input: $i) { __typename"
    " ... on PersonUpdateSuccess { person { email wecomUserId } }"
    " ... on UserError { field message } } }"
)


async def test_person_save_answers_a_typed_error_with_the_field(client: GraphQLClient) -> None:
    unit = await make_unit(client)
    base: dict[str, Any] = {"name": "李督查员", "unitId": unit, "roles": ["UNIT_SUPERVISOR"]}
    bad = await client(CREATE, {"i": {**base, "email": "li@example.gov.cn\nBcc: x@y.cn"}})
    assert bad["personCreate"]["__typename"] == "ValidationError"
    assert bad["personCreate"]["field"] == "email"
    assert "换行" in bad["personCreate"]["message"]
    bad = await client(CREATE, {"i": {**base, "wecomUserId": "李 军伟"}})
    assert (bad["personCreate"]["__typename"], bad["personCreate"]["field"]) == (
        "ValidationError",
        "wecomUserId",
    )
    good = await client(
        CREATE, {"i": {**base, "email": "li@example.gov.cn", "wecomUserId": "lijunwei"}}
    )
    assert good["personCreate"]["person"]["email"] == "li@example.gov.cn"
    person = await make_person(client, unit, "王五")
    bad = await client(UPDATE, {"i": {"id": person, "email": "wang@@example.gov.cn"}})
    assert (bad["personUpdate"]["__typename"], bad["personUpdate"]["field"]) == (
        "ValidationError",
        "email",
    )
    ok = await client(UPDATE, {"i": {"id": person, "email": "wang@example.gov.cn"}})
    assert ok["personUpdate"]["person"] == {"email": "wang@example.gov.cn", "wecomUserId": None}
