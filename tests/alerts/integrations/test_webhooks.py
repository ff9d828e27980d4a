"""Integrations against real PostgreSQL, NATS and a loopback receiver: a department's
system registered with a unit scope gets signed CloudEvents for its units only, by push
and by pull, through its own outage, and on replay; rotation, ordering, SSRF, auto-disable.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from services.alerts.integrations.dispatcher import Dispatcher
from services.alerts.integrations.domain import parse_allow_list
from services.alerts.integrations.egress import EgressRefused, GuardedTransport, post_capped
from services.contracts import evaluation as ev
from services.contracts import tasks as t
from services.core.settings import Settings
from tests.alerts.builders import make_snapshot, publish
from tests.alerts.integrations.receiver import Receiver
from tests.support.servers import GraphQLClient, running_service, wait_for

COLOUR = "cn.gov.ducha.item.colour_changed"
UNIT_A = str(uuid.uuid4())
UNIT_B = str(uuid.uuid4())
REPORT: dict[str, Any] = {}

CLIENT_CREATE = """
mutation($input: IntegrationClientCreateInput!) {
  integrationClientCreate(input: $input) {
    __typename
    ... on IntegrationClientCreateSuccess { client { id unitIds eventTypes } token }
    ... on UserError { code message field }
  }
}"""
SUB_CREATE = """
mutation($input: WebhookSubscriptionCreateInput!) {
  webhookSubscriptionCreate(input: $input) {
    __typename
    ... on WebhookSubscriptionSecret { subscription { id state ordered } secret }
    ... on UserError { code message field }
  }
}"""
EVENTS = """
query($after: String, $first: Int!) {
  integrationEvents(after: $after, first: $first) { events endCursor hasNextPage }
}"""


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture(scope="module")
def config(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allowed_hosts": "127.0.0.1",
            "webhook_require_https": False,
            "webhook_backoff_scale": 0.0002,  # 5 s, 30 s, ... 10 h -> 1 ms ... 7.2 s
            "webhook_dispatch_interval_seconds": 0.1,
        }
    )


@pytest_asyncio.fixture(scope="module")
async def alerts(config: Settings) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    async with running_service("alerts", config) as (app, client):
        yield app, client


async def register(
    office: GraphQLClient, name: str, units: list[str], types: list[str]
) -> tuple[str, GraphQLClient]:
    data = await office(
        CLIENT_CREATE, {"input": {"name": name, "unitIds": units, "eventTypes": types}}
    )
    result = data["integrationClientCreate"]
    assert result["__typename"] == "IntegrationClientCreateSuccess", result
    return result["client"]["id"], office.as_(result["token"])


async def subscribe(client: GraphQLClient, receiver: Receiver, **extra: Any) -> str:
    data = await client(
        SUB_CREATE, {"input": {"url": receiver.url, "eventTypes": [COLOUR], **extra}}
    )
    result = data["webhookSubscriptionCreate"]
    assert result["__typename"] == "WebhookSubscriptionSecret", result
    receiver.secrets.append(result["secret"])
    return str(result["subscription"]["id"])


@pytest_asyncio.fixture(scope="module")
async def department(
    alerts: tuple[Any, GraphQLClient], receiver: Receiver
) -> tuple[GraphQLClient, GraphQLClient, str]:
    """Department A (scoped to UNIT_A) subscribed with the receiver; department B pulls."""
    _, office = alerts
    _, dept_a = await register(
        office, "区住建局系统", [UNIT_A], [COLOUR, "cn.gov.ducha.item.created"]
    )
    _, dept_b = await register(office, "区农业农村局系统", [UNIT_B], [COLOUR])
    sub = await subscribe(dept_a, receiver)
    return dept_a, dept_b, sub


async def colour_changes_for(receiver: Receiver, item_ids: set[str]) -> list[dict[str, Any]]:
    return [e for e in receiver.events(COLOUR) if e["subject"] in item_ids]


async def test_scope_latency_and_pull(
    alerts: tuple[Any, GraphQLClient],
    department: tuple[GraphQLClient, GraphQLClient, str],
    receiver: Receiver,
) -> None:
    app, _ = alerts
    dept_a, dept_b, sub = department
    js = app.state.js
    ours = [make_snapshot(lead_unit_id=UNIT_A) for _ in range(20)]  # past deadline -> RED
    theirs = [make_snapshot(lead_unit_id=UNIT_B) for _ in range(5)]
    for item in [*theirs, *ours]:
        await publish(js, t.ItemCreated, item, 1)
        await asyncio.sleep(0.05)  # spread them, so latency is per event, not a burst
    ids = {i.id for i in ours}
    await wait_for(lambda: _have(receiver, ids), timeout=30)

    # latency: from the colour change (the event's time) to the receiver accepting it
    latencies = []
    for r in receiver.received:
        if r.event["subject"] in ids:
            changed = datetime.fromisoformat(r.event["time"].replace("Z", "+00:00"))
            latencies.append(r.at - changed.timestamp())
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    REPORT["latency_p50_s"], REPORT["latency_p99_s"] = p50, p99
    print(
        f"\nwebhook latency p50={p50 * 1000:.0f} ms p99={p99 * 1000:.0f} ms over {len(latencies)}"
    )
    assert p99 < 2.0, latencies

    for e in receiver.events(COLOUR):
        assert e["specversion"] == "1.0" and e["data"]["colour"] == "RED"
        assert UNIT_A in e["data"]["unitIds"]

    # nothing of unit B reached A, not even queued, once B's changes are on the feed
    their_ids = {i.id for i in theirs}
    office_feed = await _feed(alerts[1])
    await wait_for(lambda: _feed_has(alerts[1], their_ids))
    assert not [e for e in receiver.events() if e["subject"] in their_ids]
    queued = await app.state.pool.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE subject = ANY($1::text[])",
        list(their_ids),
    )
    assert queued == 0
    assert office_feed is not None

    # pull: A sees only its units' items, B only its own; paging with the cursor
    seen_a = await _pull_all(dept_a, page=7)
    assert {e["subject"] for e in seen_a if e["type"] == COLOUR} == ids
    assert not {e["subject"] for e in seen_a} & their_ids
    seen_b = await _pull_all(dept_b, page=50)
    assert {e["subject"] for e in seen_b} == their_ids
    assert all(e["type"] == COLOUR for e in seen_b)  # B may not see item.created

    # every attempt is in the log with its answer and latency
    log = await dept_a(
        "query($id: ID!) { webhookAttempts(id: $id, first: 100) { status latencyMs deliveryState }"
        " webhookStats(id: $id) { delivered pending dead lagSeconds } }",
        {"id": sub},
    )
    assert {a["status"] for a in log["webhookAttempts"]} == {204}
    assert log["webhookStats"]["delivered"] == len(ids)

    # and per endpoint in Prometheus: delivered, failed, lag
    metrics = (await alerts[1].client.get("/metrics")).text
    assert f'ducha_webhook_attempts_total{{outcome="delivered",subscription="{sub}"}}' in metrics
    assert f'ducha_webhook_lag_seconds{{subscription="{sub}"}}' in metrics


async def _have(receiver: Receiver, ids: set[str]) -> bool:
    return {e["subject"] for e in receiver.events(COLOUR)} >= ids


async def _feed(office: GraphQLClient) -> list[dict[str, Any]]:
    data = await office(EVENTS, {"after": None, "first": 500})
    return list(data["integrationEvents"]["events"])


async def _feed_has(office: GraphQLClient, ids: set[str]) -> bool:
    return {e["subject"] for e in await _feed(office) if e["type"] == COLOUR} >= ids


async def _pull_all(client: GraphQLClient, page: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = None
    while True:
        data = (await client(EVENTS, {"after": after, "first": page}))["integrationEvents"]
        events += data["events"]
        after = data["endCursor"]
        if not data["hasNextPage"]:
            return events


async def test_the_receiver_survives_its_own_outage(
    alerts: tuple[Any, GraphQLClient],
    department: tuple[GraphQLClient, GraphQLClient, str],
    receiver: Receiver,
) -> None:
    app, _ = alerts
    dept_a, _, sub = department
    receiver.stop()
    down_since = time.monotonic()
    items = [make_snapshot(lead_unit_id=UNIT_A) for _ in range(10)]
    for item in items:
        await publish(app.state.js, t.ItemCreated, item, 1)

    async def failing_repeatedly() -> bool:
        n = await app.state.pool.fetchval(
            "SELECT count(*) FROM webhook_attempts WHERE subscription_id = $1 AND status IS NULL",
            uuid.UUID(sub),
        )
        return n >= 30  # each of the 10 tried at least three times

    await wait_for(failing_repeatedly, timeout=30)
    await asyncio.sleep(max(0.0, 10 - (time.monotonic() - down_since)))  # a 10 s outage
    before = len(receiver.received)
    receiver.start()
    ids = {i.id for i in items}
    await wait_for(lambda: _have(receiver, ids), timeout=60)
    delivered_after = len([r for r in receiver.received[before:] if r.event["subject"] in ids])
    REPORT["delivered_after_outage"] = delivered_after
    print(f"\ndelivered after a 10 s outage: {delivered_after} of {len(ids)}")
    assert delivered_after == len(ids)
    dead = await app.state.pool.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE state = 'DEAD'"
    )
    assert dead == 0
    await wait_for(lambda: _pending_zero(dept_a, sub), timeout=20)


async def _pending_zero(client: GraphQLClient, sub: str) -> bool:
    data = await client("query($id: ID!) { webhookStats(id: $id) { pending } }", {"id": sub})
    return bool(data["webhookStats"]["pending"] == 0)


async def test_replay_of_a_time_range(
    alerts: tuple[Any, GraphQLClient],
    department: tuple[GraphQLClient, GraphQLClient, str],
    receiver: Receiver,
) -> None:
    dept_a, _, sub = department
    now = datetime.now(UTC)
    before = len(receiver.received)
    originals = {r.webhook_id for r in receiver.received}
    data = await dept_a(
        "mutation($id: ID!, $from: DateTime!, $to: DateTime!) {"
        " webhookReplay(id: $id, from: $from, to: $to) { __typename ... on WebhookReplaySuccess { queued } } }",
        {"id": sub, "from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()},
    )
    queued = data["webhookReplay"]["queued"]
    assert queued == len(originals) == 30  # every colour change of unit A so far, none of B

    async def replayed() -> bool:
        return len(receiver.received) - before >= queued

    await wait_for(replayed, timeout=30)
    again = {r.webhook_id for r in receiver.received[before:]}
    assert again == originals  # same ids: the receiver can tell a replay from news
    REPORT["replayed"] = queued


async def test_secret_rotation_keeps_both_secrets_valid(
    alerts: tuple[Any, GraphQLClient],
    department: tuple[GraphQLClient, GraphQLClient, str],
    receiver: Receiver,
) -> None:
    app, _ = alerts
    dept_a, _, sub = department
    data = await dept_a(
        "mutation($id: ID!) { webhookSecretRotate(id: $id, overlapHours: 1) {"
        " __typename ... on WebhookSubscriptionSecret { secret } } }",
        {"id": sub},
    )
    old_index = len(receiver.secrets) - 1
    receiver.secrets.append(data["webhookSecretRotate"]["secret"])
    item = make_snapshot(lead_unit_id=UNIT_A)
    await publish(app.state.js, t.ItemCreated, item, 1)
    await wait_for(lambda: _have(receiver, {item.id}))
    got = next(r for r in receiver.received if r.event["subject"] == item.id)
    assert old_index in got.verified_by and old_index + 1 in got.verified_by
    assert not receiver.rejected


async def test_ordered_endpoint_gets_one_subject_in_order(
    alerts: tuple[Any, GraphQLClient], receiver: Receiver
) -> None:
    app, office = alerts
    other = Receiver().start()
    try:
        _, dept = await register(
            office,
            "区发改局系统",
            [UNIT_A],
            [
                COLOUR,
                "cn.gov.ducha.item.created",
                "cn.gov.ducha.assignment.signed",
                "cn.gov.ducha.item.progress_reported",
            ],
        )
        data = await dept(
            SUB_CREATE,
            {
                "input": {
                    "url": other.url,
                    "eventTypes": [
                        "cn.gov.ducha.item.created",
                        "cn.gov.ducha.assignment.signed",
                        "cn.gov.ducha.item.progress_reported",
                    ],
                    "ordered": True,
                }
            },
        )
        other.secrets.append(data["webhookSubscriptionCreate"]["secret"])
        other.fail_next = 3  # the first event is refused three times
        item = make_snapshot(lead_unit_id=UNIT_A)
        for version, contract in enumerate(
            (t.ItemCreated, t.ItemSigned, t.ItemProgressReported), start=1
        ):
            await publish(app.state.js, contract, item, version)

        async def three() -> bool:
            return len(other.events()) >= 3

        await wait_for(three, timeout=30)
        assert [e["type"].rsplit(".", 1)[1] for e in other.events()] == [
            "created",
            "signed",
            "progress_reported",
        ]
    finally:
        other.stop()


async def test_unknown_or_foreign_scope_is_refused(alerts: tuple[Any, GraphQLClient]) -> None:
    _, office = alerts
    _, dept = await register(office, "区教育局系统", [UNIT_A], [COLOUR])
    for payload, field in (
        (
            {"url": "http://127.0.0.1:9/h", "eventTypes": ["cn.gov.ducha.item.completed"]},
            "eventTypes",
        ),
        ({"url": "http://127.0.0.1:9/h", "eventTypes": [COLOUR], "unitIds": [UNIT_B]}, "unitIds"),
        ({"url": "ftp://x/y", "eventTypes": [COLOUR]}, "url"),
    ):
        result = (await dept(SUB_CREATE, {"input": payload}))["webhookSubscriptionCreate"]
        assert result["__typename"] == "ValidationError" and result["field"] == field, result
    # a person's token is not a client's
    body = await office.raw("{ integrationEvents(first: 1) { events } }")
    assert not body.get("errors")  # the office may read the whole feed
    denied = await office.as_(None).raw(EVENTS, {"after": None, "first": 1})
    assert denied["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_endpoint_failing_for_three_days_is_disabled_and_the_office_told(
    alerts: tuple[Any, GraphQLClient], config: Settings
) -> None:
    app, office = alerts
    _, dept = await register(office, "区水务局系统", [UNIT_A], [COLOUR])
    gone = Receiver()
    gone.port = 9  # nothing listens
    data = await dept(SUB_CREATE, {"input": {"url": gone.url, "eventTypes": [COLOUR]}})
    sub = uuid.UUID(data["webhookSubscriptionCreate"]["subscription"]["id"])
    officer = uuid.uuid4()
    await app.state.pool.execute(
        "INSERT INTO people (id, name, roles) VALUES ($1, '督查办张三', '{SUPERVISION_OFFICE}')",
        officer,
    )
    now = datetime.now(UTC)
    await app.state.pool.execute(
        "UPDATE webhook_subscriptions SET failing_since = $2 WHERE id = $1",
        sub,
        now - timedelta(hours=71),
    )
    dispatcher = Dispatcher(config)
    try:
        assert await dispatcher.disable_failing(app.state.pool, now) == []
        disabled = await dispatcher.disable_failing(app.state.pool, now + timedelta(hours=2))
    finally:
        await dispatcher.aclose()
    assert disabled == [str(sub)]
    state = await app.state.pool.fetchval(
        "SELECT state FROM webhook_subscriptions WHERE id = $1", sub
    )
    assert state == "DISABLED"
    note = await app.state.pool.fetchrow(
        "SELECT title, body FROM notifications WHERE person_id = $1 AND kind = 'WEBHOOK_DISABLED'",
        officer,
    )
    assert note is not None and "区水务局系统" in note["body"]
    again = await dept(
        "mutation($id: ID!) { webhookSubscriptionSetActive(id: $id, active: true) {"
        " ... on WebhookSubscriptionChange { subscription { state failingSince } } } }",
        {"id": str(sub)},
    )
    assert again["webhookSubscriptionSetActive"]["subscription"] == {
        "state": "ACTIVE",
        "failingSince": None,
    }


# --- egress: SSRF at connect time, response cap ----------------------------------------------


async def test_egress_refuses_private_targets_and_pins_the_checked_address(
    receiver: Receiver,
) -> None:
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if len(calls) % 2 else ["10.0.0.7"]  # flips on every lookup

    url = f"http://hooks.dept.example:{receiver.port}/hook"
    closed = GuardedTransport([], resolver=rebinding)
    async with httpx.AsyncClient(transport=closed) as c:
        with pytest.raises(EgressRefused):
            await c.post(url, content=b"{}")
    calls.clear()
    allowed = GuardedTransport(parse_allow_list("127.0.0.1"), resolver=rebinding)
    async with httpx.AsyncClient(transport=allowed) as c:
        r = await c.post(url, content=b"{}")  # 127.0.0.1 checked, and that is what it hits
        assert r.status_code == 401  # the receiver answered (unsigned request)
        with pytest.raises(EgressRefused):
            await c.post(url, content=b"{}")  # the next lookup says 10.0.0.7: refused


async def test_response_size_is_capped(receiver: Receiver) -> None:
    receiver.big_answer = True
    from services.alerts.integrations.signing import headers, new_secret

    secret = new_secret()
    receiver.secrets.append(secret)
    body = b'{"type":"x"}'
    try:
        async with httpx.AsyncClient() as c:
            status, kept = await post_capped(
                c, receiver.url, body, headers("m1", int(time.time()), body, [secret]), 4096
            )
    finally:
        receiver.big_answer = False
        receiver.secrets.remove(secret)
    assert status == 200 and len(kept) == 4096


ACK = "cn.gov.ducha.notice.acknowledged"
RANKING = "cn.gov.ducha.ranking.published"


async def test_acknowledgements_and_rankings_reach_only_the_units_department(
    alerts: tuple[Any, GraphQLClient],
) -> None:
    """A department scoped to unit A hears of acknowledgements of notices on A's items and
    of A's ranking, by push and by pull; nothing of B's, nor an acknowledgement that names
    no units; a client of every unit hears all of them."""
    app, office = alerts
    _, dept = await register(office, "区住建局系统(通知与排名)", [UNIT_A], [ACK, RANKING])
    everywhere = await office(
        CLIENT_CREATE,
        {
            "input": {
                "name": "区大数据局系统",
                "unitIds": [],
                "allUnits": True,
                "eventTypes": [ACK, RANKING],
            }
        },
    )
    district = office.as_(everywhere["integrationClientCreate"]["token"])
    own = Receiver().start()
    try:
        data = await dept(SUB_CREATE, {"input": {"url": own.url, "eventTypes": [ACK, RANKING]}})
        own.secrets.append(data["webhookSubscriptionCreate"]["secret"])

        def ack(units: list[str]) -> t.NoticeAcknowledged:
            return t.NoticeAcknowledged(
                notice_id=str(uuid.uuid4()),
                item_id=str(uuid.uuid4()),
                code="督通〔2018〕3号",
                person_id=str(uuid.uuid4()),
                acknowledged_at=datetime.now(UTC),
                unit_ids=units,
            )

        def ranking(unit: str, rank: int) -> ev.RankingPublished:
            return ev.RankingPublished(
                period_id=str(uuid.uuid4()),
                name="2018年第二季度",
                starts_on=date(2018, 4, 1),
                ends_on=date(2018, 6, 30),
                unit_id=unit,
                category="街道",
                rank=rank,
                ranked=2,
                total=90.0 - rank,
                published_at=datetime.now(UTC),
            )

        mine: list[t.NoticeAcknowledged | ev.RankingPublished] = [
            ack([UNIT_A]),
            ack([UNIT_B, UNIT_A]),
            ranking(UNIT_A, 1),
        ]
        not_mine: list[t.NoticeAcknowledged | ev.RankingPublished] = [
            ack([UNIT_B]),
            ack([]),
            ranking(UNIT_B, 2),
        ]
        for event in [*not_mine, *mine]:
            env = event.envelope(str(uuid.uuid4()), 1)
            await app.state.js.publish(
                env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)}
            )
        subjects = {_subject(e) for e in mine}
        others = {_subject(e) for e in not_mine}

        async def own_arrived() -> bool:
            return {e["subject"] for e in own.events()} >= subjects

        await wait_for(own_arrived, timeout=30)

        async def all_on_feed() -> bool:
            seen = {e["subject"] for e in await _pull_all(office, page=200)}
            return seen >= subjects | others

        await wait_for(all_on_feed, timeout=30)
        assert not {e["subject"] for e in own.events()} & others
        assert not own.rejected
        pulled = await _pull_all(dept, page=50)
        assert {e["subject"] for e in pulled} == subjects
        assert {e["type"] for e in pulled} == {ACK, RANKING}
        [standing] = [e["data"] for e in pulled if e["type"] == RANKING]
        assert (standing["unitId"], standing["rank"], standing["ranked"]) == (UNIT_A, 1, 2)
        everything = {e["subject"] for e in await _pull_all(district, page=50)}
        assert everything >= subjects | others
    finally:
        own.stop()


def _subject(event: t.NoticeAcknowledged | ev.RankingPublished) -> str:
    return event.item_id if isinstance(event, t.NoticeAcknowledged) else event.period_id
