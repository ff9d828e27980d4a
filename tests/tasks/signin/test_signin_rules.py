"""Pure rules of the WeCom sign-in: the signed state, WeCom's URLs, who may sign in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from services.tasks.signin import domain
from services.tasks.signin.domain import Mode, Refusal, SignInRefused

KEY = domain.state_key("secret-one")
APP = domain.WeComApp("ww-corp", 1000002, "https://open.example", "https://login.example")


def test_state_round_trips_and_carries_mode_and_next() -> None:
    state = domain.issue_state(Mode.QR, "/console/items/1?tab=x", now=1000)
    back = domain.decode_state(KEY, domain.encode_state(KEY, state), now=1001)
    assert back == state
    assert back.expires_at == 1000 + domain.STATE_TTL_SECONDS


def test_forged_tampered_and_expired_states_are_refused() -> None:
    state = domain.issue_state(Mode.OAUTH, "/", now=1000)
    raw = domain.encode_state(KEY, state)
    other = domain.encode_state(domain.state_key("another-secret"), state)
    body, mac = raw.split(".")
    flipped = ("A" if body[0] != "A" else "B") + body[1:]
    for bad in (other, f"{flipped}.{mac}", "garbage", "", f"{body}."):
        with pytest.raises(SignInRefused) as e:
            domain.decode_state(KEY, bad, now=1001)
        assert e.value.refusal is Refusal.STATE_INVALID
    with pytest.raises(SignInRefused) as e:
        domain.decode_state(KEY, raw, now=1000 + domain.STATE_TTL_SECONDS)
    assert e.value.refusal is Refusal.STATE_EXPIRED


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/m/items", "/m/items"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/signin?code=1", "/"),
        ("/a\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_only_same_origin_paths_follow_a_sign_in(given: str | None, kept: str) -> None:
    assert domain.safe_next(given) == kept


def test_sign_in_urls_are_wecoms_pages() -> None:
    oauth = domain.sign_in_url(APP, Mode.OAUTH, "https://ducha.example/signin", "S")
    parts = urlsplit(oauth)
    assert (parts.netloc, parts.path, parts.fragment) == (
        "open.example",
        "/connect/oauth2/authorize",
        "wechat_redirect",
    )
    q = parse_qs(parts.query)
    assert q["appid"] == ["ww-corp"] and q["scope"] == ["snsapi_base"]
    assert q["response_type"] == ["code"] and q["state"] == ["S"]
    assert q["redirect_uri"] == ["https://ducha.example/signin"]
    qr = urlsplit(domain.sign_in_url(APP, Mode.QR, "https://ducha.example/signin", "S"))
    assert (qr.netloc, qr.path) == ("login.example", "/wwlogin/sso/login")
    q = parse_qs(qr.query)
    assert q["login_type"] == ["CorpApp"] and q["agentid"] == ["1000002"]


def test_unknown_retired_and_roleless_people_may_not_sign_in() -> None:
    roles = {"CADRE", "UNIT_SUPERVISOR"}
    ok = domain.Person("p1", "李", ["UNIT_SUPERVISOR"], "u1", retired=False)
    assert domain.check_may_sign_in(ok, roles) is ok
    cases = [
        (None, Refusal.UNKNOWN_USER),
        (domain.Person("p2", "王", ["CADRE"], None, retired=True), Refusal.RETIRED),
        (domain.Person("p3", "赵", ["INTEGRATION"], None, retired=False), Refusal.NO_ROLE),
    ]
    for person, refusal in cases:
        with pytest.raises(SignInRefused) as e:
            domain.check_may_sign_in(person, roles)
        assert e.value.refusal is refusal
        assert e.value.message  # a Chinese sentence for the page
    assert domain.refresh_hash("t") != "t" and len(domain.refresh_hash("t")) == 64
