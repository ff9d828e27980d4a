"""The evaluation subgraph with its consumers: real JetStream envelopes in, GraphQL out."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest_asyncio

from services.contracts import tasks as tasks_events
from services.core.events import Envelope, EventContract
from services.core.settings import Settings
from services.evaluation.rebuild.service import rebuild_command
from tests.evaluation.builders import (
    ItemHistory,
    generated_history,
    new_id,
    person_event,
    unit_event,
)
from tests.support.servers import GraphQLClient, running_service, token, wait_for

PERSON_PERF = """query($id: _Any!, $p: ID) { _entities(representations: [$id]) {
  ... on Person { performance(periodId: $p) { score entries rank rankInGroup rankGroup rankedCadres
    composite compositeLines lines { rule points explanation eventId itemId } flags { ruleCode }
    items { title role outcome daysOverdue } } } } }"""
UNIT_EVAL = """query($id: _Any!, $p: ID!) { _entities(representations: [$id]) {
  ... on Unit { evaluation(periodId: $p) { total rank failed vetoReason category lines } } } }"""
PERIOD_CREATE = """mutation($i: PeriodCreateInput!) { periodCreate(input: $i) { __typename
  ... on PeriodCreateSuccess { period { id name state } } ... on UserError { code message field } } }"""
RANKINGS = """query($p: ID!, $after: String, $first: Int!) { cadreRankings(periodId: $p, first: $first, after: $after) {
  totalCount endCursor hasNextPage nodes { personId rank rankInGroup rankGroup score normalised composite } } }"""

State = dict[str, Any]


@pytest_asyncio.fixture(scope="module")
async def svc(settings: Settings) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    async with running_service("evaluation", settings) as (app, client):
        yield app, client


async def publish(app: Any, events: list[tuple[Envelope, EventContract]]) -> None:
    js = app.state.js
    for env, _ in events:
        await js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})


async def processed(app: Any, n: int) -> bool:
    async with app.state.pool.acquire() as conn:
        return bool(await conn.fetchval("SELECT count(*) FROM processed_events") >= n)


@pytest_asyncio.fixture(scope="module")
async def district(svc: tuple[Any, GraphQLClient]) -> State:
    """Two street units and one department, five cadres, items completed on time / late."""
    app, _ = svc
    u1, u2, d1 = new_id(), new_id(), new_id()
    people = {name: new_id() for name in ("甲", "乙", "丙", "丁", "戊")}
    units = {"甲": u1, "乙": u1, "丙": u2, "丁": u2, "戊": d1}
    events = [
        unit_event(u1, "城关街道"),
        unit_event(u2, "东城街道"),
        unit_event(d1, "区住建局", "区直部门"),
    ]
    events += [
        person_event(pid, name, units[name], rank="正科" if name in "甲丙戊" else "副科")
        for name, pid in people.items()
    ]
    t = datetime(2018, 2, 1, 2, tzinfo=UTC)
    items = []
    for i, (name, pid) in enumerate(people.items()):
        it = ItemHistory(new_id(), f"事项{name}", units[name], [pid], importance=1 + i % 2)
        items.append(it)
        events.append(it.event(tasks_events.ItemCreated, t))
    events.append(items[0].complete(datetime(2018, 6, 20, tzinfo=UTC)))  # 甲 on time
    events.append(items[1].complete(datetime(2018, 7, 20, tzinfo=UTC)))  # 乙 late
    alerts = [items[3].colour("RED", datetime(2018, 7, 2, tzinfo=UTC))]  # 丁 red
    await publish(app, events + alerts)
    await wait_for(lambda: processed(app, len(events) + len(alerts)), timeout=30)
    return {"people": people, "units": {"u1": u1, "u2": u2, "d1": d1}, "items": items}


async def make_period(
    client: GraphQLClient, name: str, kind: str, start: str, end: str
) -> dict[str, Any]:
    data = await client(
        PERIOD_CREATE, {"i": {"kind": kind, "name": name, "startsOn": start, "endsOn": end}}
    )
    return data["periodCreate"]  # type: ignore[no-any-return]


async def test_periods_do_not_overlap(svc: tuple[Any, GraphQLClient], district: State) -> None:
    _, client = svc
    ok = await make_period(client, "2018年第二季度", "QUARTER", "2018-04-01", "2018-06-30")
    assert ok["__typename"] == "PeriodCreateSuccess"
    clash = await make_period(client, "重叠", "QUARTER", "2018-06-01", "2018-08-31")
    assert clash["__typename"] == "ConflictError" and "重叠" in clash["message"]
    backwards = await make_period(client, "倒置", "YEAR", "2018-12-31", "2018-01-01")
    assert backwards["__typename"] == "ValidationError"
    periods = await client("{ evaluationPeriods { name } }")
    assert [p["name"] for p in periods["evaluationPeriods"]] == ["2018年第二季度"]


async def test_weights_that_do_not_sum_are_rejected_and_nothing_changes(
    svc: tuple[Any, GraphQLClient],
) -> None:
    _, client = svc
    q = "{ evaluationRuleSet(kind: SELECTION_WEIGHTS) { version body } }"
    before = await client(q)
    bad = await client(
        """mutation($b: JSON!) { ruleSetUpdate(input: {kind: SELECTION_WEIGHTS, body: $b}) {
        __typename ... on UserError { code field message } } }""",
        {"b": {"performance": 0.4, "democratic_evaluation": 0.3, "organisation_review": 0.2}},
    )
    assert bad["ruleSetUpdate"]["__typename"] == "ValidationError"
    assert await client(q) == before
    cadre = await client.as_(token(svc[0].state.settings, "CADRE", subject=new_id())).raw(
        """mutation { ruleSetUpdate(input: {kind: UP_DOWN, body: []}) { __typename } }"""
    )
    assert cadre["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_year_ranking_performance_access_and_exports(
    svc: tuple[Any, GraphQLClient], district: State
) -> None:
    app, client = svc
    settings = app.state.settings
    year = await make_period(client, "2018年度", "YEAR", "2018-01-01", "2018-12-31")
    pid = year["period"]["id"]
    people = district["people"]

    page1 = (await client(RANKINGS, {"p": pid, "first": 2}))["cadreRankings"]
    assert page1["totalCount"] == 5 and page1["hasNextPage"]
    page2 = (await client(RANKINGS, {"p": pid, "first": 10, "after": page1["endCursor"]}))[
        "cadreRankings"
    ]
    assert not page2["hasNextPage"] and len(page2["nodes"]) == 3
    ranking = page1["nodes"] + page2["nodes"]
    assert ranking[0]["personId"] == people["甲"]  # completed on time
    assert ranking[-1]["personId"] in (people["乙"], people["丁"])
    assert {n["rankGroup"] for n in ranking} == {"正科", "副科"}

    rep = {"__typename": "Person", "id": people["甲"]}
    own = client.as_(token(settings, "CADRE", subject=people["甲"]))
    mine = (await own(PERSON_PERF, {"id": rep, "p": pid}))["_entities"][0]["performance"]
    assert mine["rank"] == 1 and mine["rankedCadres"] == 5
    assert [line["rule"] for line in mine["lines"]] == ["ITEM_TAKEN_ON", "COMPLETED_ON_TIME"]
    assert sum(line["points"] for line in mine["lines"]) == mine["score"]
    assert mine["items"] == [
        {"title": "事项甲", "role": "OWNER", "outcome": "ON_TIME", "daysOverdue": 0}
    ]
    other = {"__typename": "Person", "id": people["丙"]}
    assert (await own(PERSON_PERF, {"id": other, "p": pid}))["_entities"][0]["performance"] is None
    head = client.as_(
        token(settings, "UNIT_HEAD", subject=new_id(), units=[district["units"]["u2"]])
    )
    assert (await head(PERSON_PERF, {"id": other, "p": pid}))["_entities"][0]["performance"]
    assert (await head(PERSON_PERF, {"id": rep, "p": pid}))["_entities"][0]["performance"] is None

    # selection component: composite appears once every weighted component is entered
    for comp, value in (("democratic_evaluation", 90), ("organisation_review", 80)):
        r = await client(
            """mutation($i: SelectionComponentSetInput!) { selectionComponentSet(input: $i) {
            __typename } }""",
            {"i": {"periodId": pid, "personId": people["甲"], "component": comp, "value": value}},
        )
        assert r["selectionComponentSet"]["__typename"] == "EvaluationInputSuccess"
    mine = (await client(PERSON_PERF, {"id": rep, "p": pid}))["_entities"][0]["performance"]
    assert mine["composite"] == 0.4 * 100 + 0.3 * 90 + 0.3 * 80

    export = await client(
        "query($p: ID!) { rankingsExport(periodId: $p) { filename contentBase64 } }", {"p": pid}
    )
    wb = openpyxl.load_workbook(
        io.BytesIO(base64.b64decode(export["rankingsExport"]["contentBase64"]))
    )
    ws = wb.active
    assert ws is not None
    assert ws.cell(1, 1).value == "名次" and ws.cell(1, 4).value == "姓名"
    assert ws.cell(2, 4).value == "甲" and ws.max_row == 6


async def test_unit_evaluation_veto_close_and_flags(
    svc: tuple[Any, GraphQLClient], district: State
) -> None:
    app, client = svc
    q2 = await make_period(client, "2018年第三季度", "QUARTER", "2018-07-01", "2018-09-30")
    pid = q2["period"]["id"]
    u1, u2 = district["units"]["u1"], district["units"]["u2"]
    r = await client(
        """mutation($i: UnitVetoRecordInput!) { unitVetoRecord(input: $i) { __typename } }""",
        {"i": {"periodId": pid, "unitId": u2, "reason": "发生重大安全生产事故"}},
    )
    assert r["unitVetoRecord"]["__typename"] == "EvaluationInputSuccess"
    ev = (await client(UNIT_EVAL, {"id": {"__typename": "Unit", "id": u2}, "p": pid}))["_entities"][
        0
    ]
    assert ev["evaluation"]["failed"] and ev["evaluation"]["rank"] == 2
    assert any("一票否决" in line for line in ev["evaluation"]["lines"])
    ev1 = (await client(UNIT_EVAL, {"id": {"__typename": "Unit", "id": u1}, "p": pid}))[
        "_entities"
    ][0]
    assert ev1["evaluation"]["rank"] == 1 and ev1["evaluation"]["category"] == "街道"
    ranks = await client(
        'query($p: ID!) { unitRankings(periodId: $p, category: "街道") { unitId rank failed } }',
        {"p": pid},
    )
    assert [u["unitId"] for u in ranks["unitRankings"]] == [u1, u2]

    closed = await client(
        """mutation($i: PeriodCloseInput!) { periodClose(input: $i) { __typename
        ... on PeriodCloseSuccess { period { state } } } }""",
        {"i": {"id": pid}},
    )
    assert closed["periodClose"]["period"]["state"] == "CLOSED"
    # the published unit ranking: one event per unit (integrations scope it by unit)
    published = await app.state.pool.fetch(
        "SELECT payload FROM outbox WHERE subject = 'evaluation.ranking.published'"
        " AND payload->'data'->>'period_id' = $1",
        pid,
    )
    by_unit = {p["payload"]["data"]["unit_id"]: p["payload"]["data"] for p in published}
    assert {u1, u2} <= set(by_unit)
    assert (by_unit[u1]["rank"], by_unit[u1]["failed"], by_unit[u1]["category"]) == (
        1,
        False,
        "街道",
    )
    assert (by_unit[u2]["rank"], by_unit[u2]["failed"]) == (2, True)
    assert by_unit[u1]["ranked"] == len([d for d in by_unit.values() if d["category"] == "街道"])
    frozen = (await client(RANKINGS, {"p": pid, "first": 50}))["cadreRankings"]["nodes"]
    # a commendation dated now does not move the frozen snapshot
    await client(
        """mutation($i: CommendationRecordInput!) { commendationRecord(input: $i) { __typename } }""",
        {
            "i": {
                "personId": district["people"]["丁"],
                "kind": "COMMENDATION",
                "points": 5,
                "reason": "防汛表现突出",
            }
        },
    )
    assert (await client(RANKINGS, {"p": pid, "first": 50}))["cadreRankings"]["nodes"] == frozen
    again = await client(
        """mutation($i: PeriodCloseInput!) { periodClose(input: $i) { __typename } }""",
        {"i": {"id": pid}},
    )
    assert again["periodClose"]["__typename"] == "InvalidTransitionError"
    flags = await client(
        "query($p: ID!) { evaluationFlags(periodId: $p) { personId ruleCode evidence } }",
        {"p": pid},
    )
    top = [f for f in flags["evaluationFlags"] if f["ruleCode"] == "TOP_10_NO_RED"]
    assert top and top[0]["evidence"]["periods"] == ["2018年第三季度"]
    bulletin = await client(
        "query($p: ID!) { bulletinExport(periodId: $p) { filename contentBase64 } }", {"p": pid}
    )
    wb = openpyxl.load_workbook(
        io.BytesIO(base64.b64decode(bulletin["bulletinExport"]["contentBase64"]))
    )
    assert wb.sheetnames == ["单位差异化评价", "干部政绩排名", "能上能下预警"]


async def test_exemption_through_graphql(svc: tuple[Any, GraphQLClient], district: State) -> None:
    app, client = svc
    settings = app.state.settings
    red_item = district["items"][3]
    owner = district["people"]["丁"]
    request = await client.as_(token(settings, "CADRE", subject=owner))(
        """mutation($i: ExemptionRequestInput!) { exemptionRequest(input: $i) { __typename
        ... on ExemptionSuccess { exemption { id state caseLabel } } ... on UserError { code } } }""",
        {
            "i": {
                "itemId": red_item.id,
                "caseType": "FORCE_MAJEURE",
                "reason": "台风",
                "evidence": ["气象证明"],
            }
        },
    )
    ex = request["exemptionRequest"]["exemption"]
    assert ex["state"] == "PENDING" and ex["caseLabel"] == "因不可抗力造成"
    decide = """mutation($i: ExemptionDecideInput!) { exemptionDecide(input: $i) { __typename
      ... on ExemptionSuccess { exemption { state } } ... on UserError { code } } }"""
    leader = client.as_(token(settings, "LEADER", subject=new_id()))
    denied = await leader(decide, {"i": {"id": ex["id"], "approve": True}})
    assert denied["exemptionDecide"] == {
        "__typename": "ValidationError",
        "code": "ROLE_MAY_NOT_DECIDE",
    }
    before = await client(PERSON_PERF, {"id": {"__typename": "Person", "id": owner}, "p": None})
    approved = await client(decide, {"i": {"id": ex["id"], "approve": True, "note": "同意"}})
    assert approved["exemptionDecide"]["exemption"]["state"] == "APPROVED"
    after = await client(PERSON_PERF, {"id": {"__typename": "Person", "id": owner}, "p": None})
    score_before = before["_entities"][0]["performance"]["score"]
    assert after["_entities"][0]["performance"]["score"] == score_before + 2.0
    no_pen = await client(
        """mutation($i: ExemptionRequestInput!) { exemptionRequest(input: $i) { __typename ... on UserError { code } } }""",
        {
            "i": {
                "itemId": district["items"][0].id,
                "caseType": "FORCE_MAJEURE",
                "reason": "x",
                "evidence": ["y"],
            }
        },
    )
    assert no_pen["exemptionRequest"] == {"__typename": "ValidationError", "code": "NO_PENALTIES"}


async def test_rebuild_equals_incremental(svc: tuple[Any, GraphQLClient], district: State) -> None:
    app, client = svc
    tasks, alerts, _, people = generated_history(7, units=6, people=20, items=60)
    async with app.state.pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM processed_events")
    half = len(tasks) // 2
    await publish(app, tasks[:half])
    # the office changes the scoring rules halfway: later events use version 1
    body = (await client("{ evaluationRuleSet(kind: SCORING) { body } }"))["evaluationRuleSet"][
        "body"
    ]
    body["colour_entered"]["RED"] = -4.0
    await client(
        "mutation($b: JSON!) { ruleSetUpdate(input: {kind: SCORING, body: $b}) { __typename } }",
        {"b": body},
    )
    await publish(app, tasks[half:] + alerts)
    total_events = len(tasks) + len(alerts)
    await wait_for(lambda: processed(app, before + total_events), timeout=60)

    dsn = app.state.settings.require_database_url()
    report = await rebuild_command(dsn, app.state.settings.require_nats_url(), "evaluation_rebuild")
    assert report.events >= total_events
    assert report.people >= 20
    assert report.equal, report.describe()

    # the comparison notices a ledger that drifted from the history
    async with app.state.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO ledger_entries (person_id, event_id, rule, points, explanation, occurred_at)"
            " VALUES ($1, gen_random_uuid(), 'MANUAL', 1, '篡改', now())",
            people[0],
        )
    drifted = await rebuild_command(dsn, app.state.settings.require_nats_url(), "rebuild_again")
    assert [d["person_id"] for d in drifted.differences] == [people[0]]
