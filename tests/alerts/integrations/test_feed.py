"""The public feed's rules, pure: mapping, committed schemas, scope, signing, URL checks."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from standardwebhooks.webhooks import Webhook

from services.alerts.integrations import domain, signing
from services.alerts.integrations.schemas import SCHEMA_DIR, rendered
from services.contracts import alerts as a
from services.contracts import evaluation as ev
from services.contracts import tasks as t
from services.core.errors import ValidationFailed
from services.core.events import EventContract
from tests.alerts.builders import make_snapshot

UNIT_A = str(uuid.uuid4())
UNIT_B = str(uuid.uuid4())
NOW = datetime(2018, 6, 29, 2, 0, tzinfo=UTC)

DETAILS: dict[str, dict[str, Any]] = {
    t.ItemSigned.type: {"unit_id": UNIT_A},
    t.ItemReturned.type: {"unit_id": UNIT_A, "reason": "不属于本单位职责"},
    t.ItemAssigned.type: {"unit_id": UNIT_A, "note": ""},
    t.ItemProgressReported.type: {"unit_id": UNIT_A, "percent": 40, "previous_percent": 20},
    t.ItemExtensionDecided.type: {"approved": True, "new_deadline": "2018-07-31"},
    t.ItemNoticeIssued.type: {
        "notice_id": str(uuid.uuid4()),
        "code": "督通〔2018〕1号",
        "response_deadline": "2018-07-05",
        "recipients": [{"person_id": str(uuid.uuid4()), "role": "UNIT_HEAD"}],
    },
}


def sample(contract: type[EventContract]) -> EventContract:
    if issubclass(contract, t.ItemEvent):
        item = make_snapshot(lead_unit_id=UNIT_A, co_unit_ids=[UNIT_B])
        return contract(
            item=item, actor_id=str(uuid.uuid4()), detail=DETAILS.get(contract.type, {})
        )
    if contract is a.LevelChanged:
        return a.LevelChanged(
            item_id=str(uuid.uuid4()),
            unit_ids=[UNIT_A],
            previous_level="GREEN",
            level="RED",
            reason="逾期未办",
            changed_at=NOW,
            code="DB-2018-0001",
            title="背街小巷环境整治",
            lead_unit_id=UNIT_A,
            deadline=date(2018, 6, 28),
        )
    if contract is t.NoticeAcknowledged:
        return t.NoticeAcknowledged(
            notice_id=str(uuid.uuid4()),
            item_id=str(uuid.uuid4()),
            code="督通〔2018〕1号",
            person_id=str(uuid.uuid4()),
            acknowledged_at=NOW,
            note="已阅，抓紧落实",
            remaining=2,
            unit_ids=[UNIT_A],
        )
    if contract is ev.RankingPublished:
        return ranking(UNIT_A)
    if contract is ev.PeriodClosed:
        return ev.PeriodClosed(
            period_id=str(uuid.uuid4()),
            name="2018年第二季度",
            starts_on=date(2018, 4, 1),
            ends_on=date(2018, 6, 30),
        )
    raise AssertionError(f"no sample for {contract.type}")


def ranking(unit: str) -> ev.RankingPublished:
    return ev.RankingPublished(
        period_id=str(uuid.uuid4()),
        name="2018年第二季度",
        starts_on=date(2018, 4, 1),
        ends_on=date(2018, 6, 30),
        unit_id=unit,
        category="街道",
        rank=2,
        ranked=9,
        total=87.5,
        published_at=NOW,
    )


ALL_CONTRACTS = {**t.CONTRACTS, **a.CONTRACTS, **ev.CONTRACTS}


def test_every_contract_is_either_public_or_deliberately_internal() -> None:
    public = set(domain.BY_INTERNAL)
    assert not public & domain.INTERNAL_ONLY
    assert set(ALL_CONTRACTS) == public | domain.INTERNAL_ONLY, (
        "a new internal event: map it in integrations/domain.py or list it as INTERNAL_ONLY"
    )


def test_committed_schemas_are_the_generated_ones() -> None:
    committed = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert committed == rendered(), "run: python -m services.alerts.integrations.schemas"


@pytest.mark.parametrize("public", domain.PUBLIC, ids=lambda p: p.type)
def test_each_public_event_matches_its_committed_schema(public: domain.PublicType) -> None:
    event = sample(public.internal)
    env = event.envelope(str(uuid.uuid4()), 3, occurred_at=NOW)
    ce = domain.to_cloud_event(env, event)
    assert ce is not None
    body = ce.as_json()
    assert body["specversion"] == "1.0"
    assert body["id"] == str(env.id)
    assert body["type"] == public.type and public.type.startswith("cn.gov.ducha.")
    assert body["source"].startswith("/ducha/")
    assert body["datacontenttype"] == "application/json"
    assert body["time"] == "2018-06-29T02:00:00Z"
    assert body["subject"]
    schema = json.loads((SCHEMA_DIR / public.schema_name).read_text())
    assert schema["$id"] == body["dataschema"]
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        body["data"]
    )
    assert "unitIds" not in body and "unit_ids" not in body  # scope data stays inside
    if public.internal is not ev.PeriodClosed:
        assert UNIT_A in ce.unit_ids


def test_internal_events_map_to_nothing() -> None:
    event = t.ItemChased(item=make_snapshot(), detail={})
    assert domain.to_cloud_event(event.envelope("x", 1), event) is None


def scope(units: set[str], types: set[str], all_units: bool = False) -> domain.ClientScope:
    return domain.ClientScope("c", frozenset(units), all_units, frozenset(types))


@pytest.mark.parametrize(
    ("client", "units", "expected"),
    [
        (scope({UNIT_A}, {"cn.gov.ducha.item.colour_changed"}), [UNIT_A], True),
        (scope({UNIT_A}, {"cn.gov.ducha.item.colour_changed"}), [UNIT_B], False),
        (scope({UNIT_A}, {"cn.gov.ducha.item.colour_changed"}), [UNIT_B, UNIT_A], True),
        (scope(set(), {"cn.gov.ducha.item.colour_changed"}, all_units=True), [UNIT_B], True),
        (scope({UNIT_A}, {"cn.gov.ducha.item.completed"}), [UNIT_A], False),  # type not allowed
        (scope({UNIT_A}, {"cn.gov.ducha.item.colour_changed"}), [], True),  # district-wide
    ],
)
def test_a_client_receives_only_its_units_and_types(
    client: domain.ClientScope, units: list[str], expected: bool
) -> None:
    assert domain.receives(client, "cn.gov.ducha.item.colour_changed", units) is expected


def test_signatures_verify_with_the_reference_library_during_a_rotation() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body = b'{"specversion":"1.0","data":{"x":"\xe7\xba\xa2"}}'
    now = datetime.now(UTC)
    hdrs = signing.headers("msg_1", int(now.timestamp()), body, [new, old])
    for secret in (new, old):
        Webhook(secret).verify(body, hdrs)
    stranger = signing.new_secret()
    with pytest.raises(Exception, match=r"[Nn]o matching signature"):
        Webhook(stranger).verify(body, hdrs)


def _units_of(event: EventContract) -> list[str]:
    ce = domain.to_cloud_event(event.envelope(str(uuid.uuid4()), 1, occurred_at=NOW), event)
    assert ce is not None
    return ce.unit_ids


def acknowledgement(units: list[str]) -> t.NoticeAcknowledged:
    return t.NoticeAcknowledged(
        notice_id=str(uuid.uuid4()),
        item_id=str(uuid.uuid4()),
        code="督通〔2018〕2号",
        person_id=str(uuid.uuid4()),
        acknowledged_at=NOW,
        unit_ids=units,
    )


ACK = "cn.gov.ducha.notice.acknowledged"
RANKING = "cn.gov.ducha.ranking.published"


@pytest.mark.parametrize(
    ("event", "type_", "ours", "everyone"),
    [
        (acknowledgement([UNIT_A]), ACK, True, True),
        (acknowledgement([UNIT_B, UNIT_A]), ACK, True, True),  # A co-handles the item
        (acknowledgement([UNIT_B]), ACK, False, True),
        (acknowledgement([]), ACK, False, True),  # recorded before events named units
        (ranking(UNIT_A), RANKING, True, True),
        (ranking(UNIT_B), RANKING, False, True),
    ],
)
def test_acknowledgements_and_rankings_reach_only_the_units_departments(
    event: EventContract, type_: str, ours: bool, everyone: bool
) -> None:
    units = _units_of(event)
    assert domain.receives(scope({UNIT_A}, {type_}), type_, units) is ours
    assert domain.receives(scope(set(), {type_}, all_units=True), type_, units) is everyone
    assert domain.receives(scope({UNIT_A}, {"cn.gov.ducha.item.created"}), type_, units) is False


def test_retries_span_more_than_a_day_then_dead() -> None:
    delays = [domain.next_retry(n) for n in range(1, domain.MAX_ATTEMPTS + 1)]
    assert delays[-1] is None
    total = sum((d for d in delays if d is not None), timedelta())
    assert total >= timedelta(hours=24)
    steps = [d for d in delays if d is not None]
    assert steps == sorted(steps)
    assert domain.next_retry(1, scale=0.01) == timedelta(seconds=0.05)


@pytest.mark.parametrize("outage_minutes", [1, 10, 29])
def test_an_outage_of_up_to_half_an_hour_drains_within_two_minutes(outage_minutes: int) -> None:
    """Events produced at any second of the outage: each one's first attempt after the
    endpoint's return comes at most EARLY_GAP_CAP later."""
    outage = outage_minutes * 60.0
    worst = 0.0
    for produced in range(0, int(outage), 7):
        at, attempts = float(produced), 1
        while at < outage:
            delay = domain.next_retry(attempts)
            assert delay is not None, "went DEAD during the outage"
            at += delay.total_seconds()
            attempts += 1
        worst = max(worst, at - outage)
    assert worst <= domain.EARLY_GAP_CAP


@pytest.mark.parametrize(
    ("ip", "allowed"),
    [
        ("8.8.8.8", True),
        ("10.0.0.5", False),
        ("172.16.3.4", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("2606:4700::1111", True),
    ],
)
def test_ssrf_rule(ip: str, allowed: bool) -> None:
    assert domain.address_allowed(ip, []) is allowed


def test_allow_list_opens_one_address() -> None:
    allow = domain.parse_allow_list("127.0.0.1, 10.1.0.0/16")
    assert domain.address_allowed("127.0.0.1", allow)
    assert domain.address_allowed("10.1.2.3", allow)
    assert not domain.address_allowed("127.0.0.2", allow)


def test_urls_need_https_outside_development() -> None:
    assert domain.check_url("https://dept.example.cn/hook", True)
    assert domain.check_url("http://127.0.0.1:9/hook", False)
    for bad in ("http://dept.example.cn/hook", "ftp://x/y", "https://u:p@x.cn/", "/relative"):
        with pytest.raises(ValidationFailed):
            domain.check_url(bad, True)
