"""Bad input through the real gateway: each case of issue 10 answers its typed error, and
schemathesis over every query and mutation of the supergraph finds no INTERNAL.

An office token (the widest role) sends a few hundred generated operations; none may come
back as a 5xx, with the code INTERNAL, or with a stack trace or SQL text in its body. The
budget is ``FUZZ_EXAMPLES`` cases per root field (default 4, about 330 cases).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from services.core.settings import Settings
from services.stack import Stack
from tests.e2e import schemathesis_hooks
from tests.support.servers import GraphQLClient, token

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
INTERNAL_CODES = {"INTERNAL", "INTERNAL_SERVER_ERROR", "DOWNSTREAM_SERVICE_ERROR"}
LEAKS = re.compile(
    r"Traceback|File \"/|asyncpg|psycopg|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b"
    r"|\bUPDATE \w+ SET\b|syntax error at or near|violates \w+ constraint|invalid byte sequence",
    re.S,
)


@dataclass
class Tally:
    cases: int = 0
    refused: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def record(self, label: str, query: str, status: int, text: str) -> None:
        self.cases += 1
        body: dict[str, Any] = {}
        try:
            body = requests.models.complexjson.loads(text)
        except ValueError:
            self.problems.append(f"{label}: HTTP {status}, not JSON: {text[:200]}")
            return
        errors = body.get("errors") or []
        if errors:
            self.refused += 1
        for error in errors:
            code = str((error.get("extensions") or {}).get("code", "NO_CODE"))
            self.codes[code] += 1
            if code in INTERNAL_CODES:
                self.problems.append(f"{label}: {code} {error.get('message')!r} for {query[:300]}")
        if status >= 500:
            self.problems.append(f"{label}: HTTP {status} for {query[:300]}")
        leak = LEAKS.search(text)
        if leak:
            self.problems.append(f"{label}: body shows {leak.group(0)!r}: {text[:300]}")


def fuzz(
    operation: Any, url: str, session: requests.Session, headers: dict[str, str], tally: Tally
) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        response = case.call(base_url=url, session=session, headers=headers, timeout=30)
        query = case.body if isinstance(case.body, str) else str(case.body)
        tally.record(operation.label, query, response.status_code, response.text)

    run()


SEED = [
    (
        "mutation($i: UnitCreateInput!) { unitCreate(input: $i) { ... on UnitCreateSuccess {"
        " unit { id } } } }",
        {"code": "FUZZ-1", "name": "模糊测试单位", "kind": "STREET", "category": "街道"},
    ),
    (
        "mutation($i: PeriodCreateInput!) { periodCreate(input: $i) { ... on PeriodCreateSuccess"
        " { period { id } } } }",
        {
            "name": "2026年第一季度",
            "kind": "QUARTER",
            "startsOn": "2026-01-01",
            "endsOn": "2026-03-31",
        },
    ),
]


def seed(session: requests.Session, url: str, headers: dict[str, str]) -> list[str]:
    """A unit, a person, an item and a period, so that generated ids sometimes name one."""
    ids: list[str] = []
    for doc, inputs in SEED:
        ids += re.findall(r'"id": ?"([0-9a-f-]{36})"', _post(session, url, headers, doc, inputs))
    person = (
        "mutation($i: PersonCreateInput!) { personCreate(input: $i) { ... on PersonCreateSuccess"
        " { person { id } } } }"
    )
    item = (
        "mutation($i: ItemCreateInput!) { itemCreate(input: $i) { ... on ItemCreateSuccess"
        " { item { id } } } }"
    )
    unit = ids[0]
    people = _post(session, url, headers, person, {"name": "张三", "unitId": unit, "roles": []})
    ids += re.findall(r'"id": ?"([0-9a-f-]{36})"', people)
    values = {
        "title": "模糊测试事项",
        "leadUnitId": unit,
        "startDate": "2026-01-05",
        "deadline": "2026-06-30",
        "ownerIds": ids[-1:],
    }
    ids += re.findall(r'"id": ?"([0-9a-f-]{36})"', _post(session, url, headers, item, values))
    assert len(ids) == 4, ids
    return ids


def _post(
    session: requests.Session, url: str, headers: dict[str, str], doc: str, values: Any
) -> str:
    r = session.post(url, json={"query": doc, "variables": {"i": values}}, headers=headers)
    assert r.status_code == 200, r.text
    return r.text


def test_schemathesis_finds_no_internal_error(stack: Stack, settings: Settings) -> None:
    url = stack.gateway_url
    headers = {"Authorization": f"Bearer {token(settings)}"}
    schemathesis_hooks.register(seed(requests.Session(), url, headers))
    schema = schemathesis.graphql.from_url(url, headers=headers)
    tally = Tally()
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 60, "every root query and mutation is fuzzed"

    for operation in operations:
        fuzz(operation, url, session, headers, tally)

    summary = (
        f"schemathesis: {tally.cases} cases over {len(operations)} operations, "
        f"{tally.refused} answered with errors, codes {dict(tally.codes.most_common())}"
    )
    print(summary)
    for problem in tally.problems:
        print("PROBLEM", problem.replace("\n", " ")[:400])
    assert tally.cases >= len(operations)
    assert not tally.problems, summary + "\n" + "\n".join(tally.problems[:40])


UID = "00000000-0000-4000-8000-000000000001"
NUL = "a\\u0000b"

# (document, the argument or input field the error names): each a top-level BAD_USER_INPUT
BAD_QUERIES = [
    ('{ people(unitId: "x") { id } }', "unitId"),
    ('{ inbox(personId: "x") { id } }', "personId"),
    ('{ inboxUnreadCount(personId: "x") }', "personId"),
    ('{ channelPreferences(personId: "x") { inbox } }', "personId"),
    ('{ notificationLog(itemId: "x") { id } }', "itemId"),
    ('{ item(id: "1") { id } }', "id"),
    ('{ alertCountsByUnit(unitIds: ["x"]) { counts { level } } }', "unitIds"),
    ('{ units { evaluation(periodId: "x") { total } } }', "periodId"),
    (f'{{ items(filter: {{ keyword: "{NUL}" }}) {{ nodes {{ id }} }} }}', "keyword"),
    ('{ items(after: "garbage") { nodes { id } } }', "after"),
    (f'{{ auditTrail(itemId: "{UID}", after: "garbage") {{ entries {{ action }} }} }}', "after"),
    (f'{{ auditTrail(actorId: "{NUL}") {{ entries {{ action }} }} }}', "actorId"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
async def test_bad_query_input_is_a_typed_error(
    gateway: GraphQLClient, query: str, field: str
) -> None:
    if "units" in query:  # a nested field runs only under a unit that exists
        unit = {"code": "BAD-1", "name": "测试单位", "kind": "STREET", "category": "街道"}
        await gateway(UNIT, {"input": unit})
    body = await gateway.raw(query)
    errors = body.get("errors") or []
    assert errors, body
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert errors[0]["extensions"].get("field") == field, body


async def test_free_string_sources_are_enums_now(gateway: GraphQLClient) -> None:
    for query, variables in [
        ('{ alertCounts(source: "KEY_WORK") { level } }', None),
        ("query($s: ItemSource) { alertCounts(source: $s) { level } }", {"s": NUL}),
        ("query($s: ItemSource) { alertCounts(source: $s) { level } }", {"s": "x" * 100_000}),
    ]:
        body = await gateway.raw(query, variables)
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes <= {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}, body
    ok = await gateway("{ alertCounts(source: KEY_WORK) { level count } }")
    assert isinstance(ok["alertCounts"], list)


RULE = """mutation($input: AlertRuleSetInput!) { alertRuleSet(input: $input) {
  __typename ... on UserError { code field } } }"""
UNIT = """mutation($input: UnitCreateInput!) { unitCreate(input: $input) {
  __typename ... on UserError { code field } } }"""
ITEM = """mutation($input: ItemCreateInput!) { itemCreate(input: $input) {
  __typename ... on UserError { code field } } }"""
PERIOD = """mutation($input: PeriodCreateInput!) { periodCreate(input: $input) {
  __typename ... on UserError { code field } } }"""
MARK = """mutation($input: NotificationMarkReadInput!) { notificationMarkRead(input: $input) {
  __typename ... on UserError { code field } } }"""
CLOSE = """mutation($input: PeriodCloseInput!) { periodClose(input: $input) {
  __typename ... on UserError { code field } } }"""

BAD_MUTATIONS = [
    (
        UNIT,
        {"code": "a\x00b", "name": "单位", "kind": "STREET", "category": "街道"},
        "unitCreate",
        "code",
    ),
    (
        UNIT,
        {"code": "U-1", "name": "x" * 100_000, "kind": "STREET", "category": "街道"},
        "unitCreate",
        "name",
    ),
    (
        ITEM,
        {
            "title": "标题\x00",
            "leadUnitId": UID,
            "startDate": "2026-01-01",
            "deadline": "2026-02-01",
        },
        "itemCreate",
        "title",
    ),
    (
        ITEM,
        {"title": "标题", "leadUnitId": "x", "startDate": "2026-01-01", "deadline": "2026-02-01"},
        "itemCreate",
        "leadUnitId",
    ),
    (
        PERIOD,
        {
            "name": "x" * 100_000,
            "kind": "QUARTER",
            "startsOn": "2026-01-01",
            "endsOn": "2026-03-31",
        },
        "periodCreate",
        "name",
    ),
    (MARK, {"ids": ["x"]}, "notificationMarkRead", "ids"),
    (CLOSE, {"id": "x"}, "periodClose", "id"),
]


@pytest.mark.parametrize(("doc", "values", "name", "field"), BAD_MUTATIONS)
async def test_bad_mutation_input_is_a_validation_error(
    gateway: GraphQLClient, doc: str, values: dict[str, Any], name: str, field: str
) -> None:
    data = await gateway(doc, {"input": values})
    assert data[name] == {"__typename": "ValidationError", "code": "VALIDATION", "field": field}


async def test_rule_sources_are_an_enum(gateway: GraphQLClient) -> None:
    for source in ("NOT_A_SOURCE", "a\x00b", "x" * 100_000):
        body = await gateway.raw(
            RULE, {"input": {"source": source, "lagTolerance": 5, "stallCycles": 2}}
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", str(body)[:300]
    ok = await gateway(RULE, {"input": {"source": "DEFAULT", "lagTolerance": 5, "stallCycles": 2}})
    assert ok["alertRuleSet"]["__typename"] == "AlertRuleSetSuccess"
