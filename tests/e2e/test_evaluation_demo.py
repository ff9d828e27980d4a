"""The demo district through the real services: tasks and alerts publish, evaluation scores.

Every cadre gets an explained score, rankings are plausible, an exemption moves scores
both ways, and replaying the streams into a fresh ledger gives the same totals.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from services.core.bus import connect_nats
from services.core.settings import Settings
from services.evaluation.rebuild.service import rebuild_command
from services.stack import Stack
from services.tasks.demo import loader as demo
from tests.support.servers import GraphQLClient, wait_for

REPLAYED = ("TASKS", "ALERTS")  # the streams the rebuild replays
OUTBOXES = ("tasks", "alerts")  # the services publishing into them


async def quiet_point(settings: Settings) -> tuple[int, ...] | None:
    """The replayed streams' last sequences when nothing is in flight, else None.

    In flight: a message some durable consumer of those streams (every one, not only
    evaluation's: alerts' colour consumer turns TASKS events into the ALERTS events the
    ledger scores) has not acked yet, or an outbox row not relayed yet. The consumers are
    read before the outboxes: a consumer acks after its transaction, outbox row included,
    has committed.
    """
    nc = await connect_nats(settings.require_nats_url(), "test-settled")
    try:
        js = nc.jetstream()
        last = []
        for stream in REPLAYED:
            last.append((await js.stream_info(stream)).state.last_seq)
            for info in await js.consumers_info(stream):
                if info.config.durable_name and (info.num_pending or info.num_ack_pending):
                    return None
    finally:
        await nc.close()
    conn = await asyncpg.connect(settings.require_database_url())
    try:
        for schema in OUTBOXES:
            n = await conn.fetchval(
                f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"
            )
            if n:
                return None
    finally:
        await conn.close()
    return tuple(last)


async def settled(settings: Settings) -> bool:
    """Quiet twice in a row with nothing published in between: no consumer is working
    through a message the first look missed (one relayed just after it read the outboxes)."""
    first = await quiet_point(settings)
    return first is not None and first == await quiet_point(settings)


async def totals(settings: Settings) -> dict[str, float]:
    conn = await asyncpg.connect(settings.require_database_url())
    try:
        rows = await conn.fetch(
            "SELECT person_id::text AS p, sum(points)::float AS s FROM evaluation.ledger_entries GROUP BY 1"
        )
    finally:
        await conn.close()
    return {r["p"]: r["s"] for r in rows}


async def test_demo_district_is_scored_explained_and_rebuildable(
    stack: Stack, gateway: GraphQLClient, settings: Settings
) -> None:
    await demo.load(settings.require_database_url(), progress=False, scale=0.03)

    await wait_for(lambda: settled(settings), timeout=120, interval=1.0)
    period = await gateway(
        """mutation { periodCreate(input: {kind: YEAR, name: "2018年度", startsOn: "2018-01-01",
        endsOn: "2018-12-31"}) { ... on PeriodCreateSuccess { period { id } } } }"""
    )
    pid = period["periodCreate"]["period"]["id"]
    page = await gateway(
        """query($p: ID!) { cadreRankings(periodId: $p, first: 500) { totalCount
        nodes { rank score entries person { name performance(periodId: $p) { lines { points explanation } } } } } }""",
        {"p": pid},
    )
    ranking = page["cadreRankings"]
    scored = [n for n in ranking["nodes"] if n["entries"]]
    assert len(scored) >= 20
    top, bottom = ranking["nodes"][0], scored[-1]
    assert top["rank"] == 1 and top["score"] > bottom["score"]
    for node in scored:  # every score explains itself line by line
        lines = node["person"]["performance"]["lines"]
        assert len(lines) == node["entries"] and all(line["explanation"] for line in lines)
        assert round(sum(line["points"] for line in lines), 2) == round(node["score"], 2)

    flags = await gateway(
        """mutation($i: FlagsEvaluateInput!) { flagsEvaluate(input: $i) { __typename
        ... on FlagsEvaluateSuccess { flags { personId ruleCode direction evidence } } } }""",
        {"i": {"periodId": pid}},
    )
    raised = flags["flagsEvaluate"]["flags"]
    up = [f for f in raised if f["ruleCode"] == "TOP_10_NO_RED"]
    assert up and all(
        f["direction"] == "UP" and f["evidence"]["periods"] == ["2018年度"] for f in up
    )
    assert all(f["evidence"]["rank"] <= max(1, -(-f["evidence"]["of"] // 10)) for f in up)

    # an exemption changes scores both ways
    conn = await asyncpg.connect(settings.require_database_url())
    try:
        penalised = await conn.fetchrow(
            "SELECT item_id::text AS item, person_id::text AS person FROM evaluation.ledger_entries"
            " WHERE points < 0 AND item_id IS NOT NULL ORDER BY points LIMIT 1"
        )
    finally:
        await conn.close()
    assert penalised is not None
    before = (await totals(settings))[penalised["person"]]
    req = await gateway(
        """mutation($i: ExemptionRequestInput!) { exemptionRequest(input: $i) { __typename
        ... on ExemptionSuccess { exemption { id } } } }""",
        {
            "i": {
                "itemId": penalised["item"],
                "caseType": "OBJECTIVE_CONDITIONS",
                "reason": "客观原因",
                "evidence": ["情况说明"],
            }
        },
    )
    ex_id = req["exemptionRequest"]["exemption"]["id"]
    decide = """mutation($i: ExemptionDecideInput!) { exemptionDecide(input: $i) { __typename } }"""
    assert (await gateway(decide, {"i": {"id": ex_id, "approve": True}}))["exemptionDecide"][
        "__typename"
    ] == "ExemptionSuccess"
    approved = (await totals(settings))[penalised["person"]]
    assert approved > before
    revoke = """mutation($i: ExemptionRevokeInput!) { exemptionRevoke(input: $i) { __typename } }"""
    assert (await gateway(revoke, {"i": {"id": ex_id}}))["exemptionRevoke"][
        "__typename"
    ] == "ExemptionSuccess"
    assert round((await totals(settings))[penalised["person"]], 2) == round(before, 2)

    units: dict[str, Any] = await gateway(
        "query($p: ID!) { unitRankings(periodId: $p) { rank category lines } }", {"p": pid}
    )
    assert len(units["unitRankings"]) == 90 and all(u["lines"] for u in units["unitRankings"])

    report = await rebuild_command(
        settings.require_database_url(), settings.require_nats_url(), "evaluation_rebuild"
    )
    assert report.people >= len(scored)
    assert report.equal, report.describe()
