"""One access policy at every entry point (ADR 0013).

Every root query field and every entity type (through ``_entities``) of every subgraph,
called straight on the subgraph — the way a token holder who bypasses the gateway
would — with every role × scope variant. The expectations below are written by hand
from the rule table (not computed with ``services.core.access``), and every answer is
also scanned for the canaries (titles, contents, report narratives, codes) of the items
the caller may not read. A root field or entity type without a row here fails the test.

The world: units A and B; items IA (lead A, owned by ``cadre_owner``), IB (lead B) and
IAB (lead B, co-unit A); a notice NB on IB addressed to a unit-B supervisor who then
moved to unit A (the ``sup_a`` caller: a former recipient).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest
import pytest_asyncio
from graphql import GraphQLUnionType

from services.contracts.alerts import LevelChanged
from services.core.auth import Principal, Role
from services.core.clock import today as district_today
from services.core.graphql.context import Context
from services.core.settings import Settings
from services.registry import spec
from tests.support.servers import OFFICE_ID, GraphQLClient, running_service, token, wait_for

SERVICES = ("tasks", "alerts", "evaluation")
ITEMS = ("IA", "IB", "IAB")
# the district's date (Asia/Shanghai), as the services see it: the machine's UTC date
# is the day before for eight hours of every day
TODAY = district_today()


@dataclass(frozen=True)
class Actor:
    roles: tuple[str, ...]
    units: tuple[str, ...] = ()  # "A", "B"
    subject: str = ""  # a person key of the world ("cadre_owner", …) or "" (a fresh id)
    ops: tuple[str, ...] = ()


ALL_OPS = ("ASSIGNMENT_SIGN", "PROGRESS_REPORT", "COMPLETION_REQUEST", "EXTENSION_REQUEST")
ACTORS = {
    "office": Actor(("SUPERVISION_OFFICE",), subject="office"),
    "leader": Actor(("LEADER",)),
    "head_a": Actor(("UNIT_HEAD",), ("A",)),
    "sup_a": Actor(("UNIT_SUPERVISOR",), ("A",), subject="mover"),
    "sup_b": Actor(("UNIT_SUPERVISOR",), ("B",)),
    "cadre_owner": Actor(("CADRE",), ("A",), subject="cadre_owner"),
    "cadre_other": Actor(("CADRE",), ("A",), subject="cadre_other"),
    "integ_a": Actor(("INTEGRATION",), ("A",), ops=ALL_OPS),
    "integ_none": Actor(("INTEGRATION",), (), ops=ALL_OPS),
}
EVERYONE = set(ACTORS)
READ_ALL = {"office", "leader"}

# --- the rule table, by hand ----------------------------------------------------------

# items each caller reads (lead or co-unit in the token for unit roles and integration;
# owned or led for cadres, whatever units their token names)
VISIBLE: dict[str, set[str]] = {
    "office": {"IA", "IB", "IAB"},
    "leader": {"IA", "IB", "IAB"},
    "head_a": {"IA", "IAB"},
    "sup_a": {"IA", "IAB"},
    "sup_b": {"IB", "IAB"},
    "cadre_owner": {"IA"},
    "cadre_other": set(),
    "integ_a": {"IA", "IAB"},
    "integ_none": set(),
}
# units whose per-unit aggregates (colour counts) each caller reads
AGGREGATE_UNITS: dict[str, set[str]] = {
    "office": {"A", "B"},
    "leader": {"A", "B"},
    "head_a": {"A"},
    "sup_a": {"A"},
    "sup_b": {"B"},
    "integ_a": {"A"},
}
# performance files each caller reads (own; a unit head their units' people)
PERFORMANCE: dict[str, set[str]] = {
    "office": {"cadre_owner", "cadre_other", "mover"},
    "leader": {"cadre_owner", "cadre_other", "mover"},
    "head_a": {"cadre_owner", "cadre_other", "mover"},
    "sup_a": {"mover"},
    "cadre_owner": {"cadre_owner"},
    "cadre_other": {"cadre_other"},
}
UNIT_EVALUATION: dict[str, set[str]] = {"office": {"A", "B"}, "leader": {"A", "B"}, "head_a": {"A"}}
# the notice NB (on IB): whoever reads IB, and its recipient (the mover, now sup_a)
NOTICE_READERS = {"office", "leader", "sup_b", "sup_a"}
# contact details: the office, leaders and the person themself
CONTACT: dict[str, set[str]] = {
    "office": {"cadre_owner", "cadre_other", "mover"},
    "leader": {"cadre_owner", "cadre_other", "mover"},
    "sup_a": {"mover"},
    "cadre_owner": {"cadre_owner"},
    "cadre_other": {"cadre_other"},
}
PEOPLE = ("cadre_owner", "cadre_other", "mover")


# --- the world --------------------------------------------------------------------------


@dataclass
class World:
    settings: Settings
    clients: dict[str, GraphQLClient]  # by service, office token
    apps: dict[str, Any]
    units: dict[str, str]
    people: dict[str, str]
    items: dict[str, str]
    canaries: dict[str, list[str]]  # by item
    notice: str
    period: str
    subjects: dict[str, str]

    def client(self, service: str, actor: str) -> GraphQLClient:
        a = ACTORS[actor]
        bearer = token(
            self.settings,
            *a.roles,
            subject=self.subjects[actor],
            units=[self.units[u] for u in a.units],
            ops=list(a.ops),
        )
        return self.clients[service].as_(bearer)

    def forbidden_canaries(self, actor: str) -> list[str]:
        return [c for item in ITEMS if item not in VISIBLE[actor] for c in self.canaries[item]]


async def _ok(gql: GraphQLClient, query: str, variables: dict[str, Any], path: str) -> Any:
    data = await gql(query, variables)
    result = data[path]
    assert "Success" in result.get("__typename", "Success"), result
    return result


@pytest_asyncio.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[World]:
    async with contextlib.AsyncExitStack() as stack:
        apps: dict[str, Any] = {}
        clients: dict[str, GraphQLClient] = {}
        for name in SERVICES:
            apps[name], clients[name] = await stack.enter_async_context(
                running_service(name, settings)
            )
        tasks = clients["tasks"]
        tag = uuid.uuid4().hex[:6]
        units = {}
        for key in ("A", "B"):
            r = await _ok(
                tasks,
                "mutation($i: UnitCreateInput!) { unitCreate(input: $i) {"
                " __typename ... on UnitCreateSuccess { unit { id } } } }",
                {
                    "i": {
                        "code": f"AC{key}{tag}",
                        "name": f"{key}街道",
                        "kind": "STREET",
                        "category": "街道",
                    }
                },
                "unitCreate",
            )
            units[key] = r["unit"]["id"]
        people: dict[str, str] = {}
        for key, unit, roles in (
            ("cadre_owner", "A", ["CADRE"]),
            ("cadre_other", "A", ["CADRE"]),
            ("mover", "B", ["UNIT_SUPERVISOR"]),
        ):
            r = await _ok(
                tasks,
                "mutation($i: PersonCreateInput!) { personCreate(input: $i) {"
                " __typename ... on PersonCreateSuccess { person { id } } } }",
                {
                    "i": {
                        "name": key,
                        "unitId": units[unit],
                        "roles": roles,
                        "mobile": f"1380000{len(people):04d}",
                    }
                },
                "personCreate",
            )
            people[key] = r["person"]["id"]
        subjects = {a: str(uuid.uuid4()) for a in ACTORS}
        subjects.update(
            {a: people[ACTORS[a].subject] for a in ACTORS if ACTORS[a].subject in people}
        )
        subjects["office"] = OFFICE_ID

        items: dict[str, str] = {}
        canaries: dict[str, list[str]] = {}
        for key, lead, co, owners in (
            ("IA", "A", [], [people["cadre_owner"]]),
            ("IB", "B", [], []),
            ("IAB", "B", ["A"], []),
        ):
            title, content = f"标题金丝雀{key}{tag}", f"内容金丝雀{key}{tag}"
            r = await _ok(
                tasks,
                "mutation($i: ItemCreateInput!) { itemCreate(input: $i) {"
                " __typename ... on ItemCreateSuccess { item { id code } } } }",
                {
                    "i": {
                        "title": title,
                        "content": content,
                        "leadUnitId": units[lead],
                        "coUnitIds": [units[u] for u in co],
                        "ownerIds": owners,
                        "startDate": (TODAY - timedelta(days=90)).isoformat(),
                        "deadline": (TODAY - timedelta(days=2)).isoformat(),  # RED
                        "confirmDuplicate": True,  # the canaries' titles look alike
                    }
                },
                "itemCreate",
            )
            items[key] = r["item"]["id"]
            canaries[key] = [title, content, r["item"]["code"], f"汇报金丝雀{key}{tag}"]

        # the lead unit signs and reports (IA: the mover, then in unit B? no: a unit-A
        # supervisor token; IB and IAB: a unit-B supervisor)
        for key, unit in (("IA", "A"), ("IB", "B"), ("IAB", "B")):
            sup = tasks.as_(
                token(settings, "UNIT_SUPERVISOR", subject=str(uuid.uuid4()), units=[units[unit]])
            )
            args = {"itemId": items[key], "unitId": units[unit]}
            await _ok(
                sup,
                "mutation($i: AssignmentInput!) { assignmentSign(input: $i) { __typename } }",
                {"i": args},
                "assignmentSign",
            )
            await _ok(
                sup,
                "mutation($i: ItemReportProgressInput!) { itemReportProgress(input: $i) {"
                " __typename } }",
                {"i": {**args, "percent": 10, "narrative": canaries[key][3]}},
                "itemReportProgress",
            )

        # NB on IB to the unit-B supervisor, who then moves to unit A
        r = await _ok(
            tasks,
            "mutation($i: NoticeIssueInput!) { noticeIssue(input: $i) {"
            " __typename ... on NoticeIssueSuccess { notice { id } } } }",
            {
                "i": {
                    "itemId": items["IB"],
                    "recipients": [{"personId": people["mover"], "role": "UNIT_SUPERVISOR"}],
                    "responseDeadline": (TODAY + timedelta(days=7)).isoformat(),
                    "content": "请按期办理",
                }
            },
            "noticeIssue",
        )
        notice = r["notice"]["id"]
        await _ok(
            tasks,
            "mutation($i: PersonUpdateInput!) { personUpdate(input: $i) { __typename } }",
            {"i": {"id": people["mover"], "unitId": units["A"]}},
            "personUpdate",
        )
        r = await _ok(
            clients["evaluation"],
            "mutation($i: PeriodCreateInput!) { periodCreate(input: $i) {"
            " __typename ... on PeriodCreateSuccess { period { id } } } }",
            {
                "i": {
                    "kind": "YEAR",
                    "name": f"访问测试{tag}",
                    "startsOn": f"{TODAY.year}-01-01",
                    "endsOn": f"{TODAY.year}-12-31",
                }
            },
            "periodCreate",
        )
        period = r["period"]["id"]

        # both projections have caught up (read from their own tables, not through the API)
        ids = [uuid.UUID(i) for i in items.values()]

        async def projected() -> bool:
            async with apps["alerts"].state.pool.acquire() as conn:
                coloured = await conn.fetchval(
                    "SELECT count(*) FROM items WHERE id = ANY($1) AND level IS NOT NULL", ids
                )
            async with apps["evaluation"].state.pool.acquire() as conn:
                known = await conn.fetchval("SELECT count(*) FROM items WHERE id = ANY($1)", ids)
                moved = await conn.fetchval(
                    "SELECT unit_id FROM people WHERE id = $1", uuid.UUID(people["mover"])
                )
            return coloured == 3 and known == 3 and str(moved) == units["A"]

        await wait_for(projected, timeout=60, interval=0.2)
        yield World(
            settings, clients, apps, units, people, items, canaries, notice, period, subjects
        )


# --- the table of root fields --------------------------------------------------------

Check = Callable[[World, str, dict[str, Any]], None]


@dataclass(frozen=True)
class Row:
    query: str
    check: Check
    variables: Callable[[World], dict[str, Any]] = lambda w: {}
    # canaries a caller may read here though not the item (what was addressed to them)
    addressed: Callable[[World, str], set[str]] = lambda w, actor: set()


def codes(body: dict[str, Any]) -> list[str]:
    return [(e.get("extensions") or {}).get("code", "") for e in body.get("errors") or []]


def data(body: dict[str, Any]) -> Any:
    assert not body.get("errors"), body["errors"]
    return body["data"]


def forbidden_unless(allowed: set[str]) -> Check:
    """A whole root field: answered for ``allowed``, a top-level FORBIDDEN for others."""

    def check(w: World, actor: str, body: dict[str, Any]) -> None:
        if actor in allowed:
            data(body)
        else:
            assert codes(body) == ["FORBIDDEN"], body
            assert not any((body.get("data") or {}).values()), body

    return check


def integrations_only(w: World, actor: str, body: dict[str, Any]) -> None:
    """The office and integration clients; an INTEGRATION token that is not a registered
    client gets a typed refusal, never data (the canary scan covers what comes back)."""
    if actor in {"office", "integ_a", "integ_none"}:
        assert "INTERNAL" not in codes(body), body
        if actor == "office":  # answered, or a typed miss for an id that names nothing
            assert "FORBIDDEN" not in codes(body), body
    else:
        assert codes(body) == ["FORBIDDEN"], body
        assert not any((body.get("data") or {}).values()), body


def no_error(w: World, actor: str, body: dict[str, Any]) -> None:
    data(body)


def item_keys(w: World, ids: list[str | None]) -> set[str]:
    by_id = {v: k for k, v in w.items.items()}
    return {by_id[i] for i in ids if i in by_id}


def person_keys(w: World, ids: list[str]) -> set[str]:
    by_id = {v: k for k, v in w.people.items()}
    return {by_id[i] for i in ids if i in by_id}


def xlsx_text(b64: str) -> str:
    """Every cell of every sheet, as text."""
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(b64)), read_only=True)
    return "\n".join(
        str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
    )


def check_items(w: World, actor: str, body: dict[str, Any]) -> None:
    ids = [n["id"] for n in data(body)["items"]["nodes"]]
    assert item_keys(w, ids) == VISIBLE[actor]


def check_item(w: World, actor: str, body: dict[str, Any]) -> None:
    got = data(body)
    for key in ITEMS:
        assert (got[key] is not None) is (key in VISIBLE[actor]), (key, got[key])


def check_statistics(w: World, actor: str, body: dict[str, Any]) -> None:
    # other modules' items may share the database only in other tests' databases
    assert sum(r["total"] for r in data(body)["itemStatistics"]) == len(VISIBLE[actor])


def check_units(w: World, actor: str, body: dict[str, Any]) -> None:
    names = {u["id"] for u in data(body)["units"]}
    assert set(w.units.values()) <= names  # the directory is everyone's


def check_people(w: World, actor: str, body: dict[str, Any]) -> None:
    rows = {r["id"]: r for r in data(body)["people"]}
    for key in PEOPLE:
        row = rows[w.people[key]]
        assert (row["mobile"] is not None) is (key in CONTACT.get(actor, set())), (key, row)


def check_calendar_year(w: World, actor: str, body: dict[str, Any]) -> None:
    # the official calendar is public to anyone signed in
    assert data(body)["calendarYear"]["year"] == 2018


def check_calendar_coverage(w: World, actor: str, body: dict[str, Any]) -> None:
    assert data(body)["calendarCoverage"]["lastYear"] >= 2026


def check_me(w: World, actor: str, body: dict[str, Any]) -> None:
    me = data(body)["me"]
    assert me is None or me["id"] == w.subjects[actor]


def check_audit(w: World, actor: str, body: dict[str, Any]) -> None:
    got = data(body)
    for key in ITEMS:
        assert bool(got[key]["entries"]) is (key in VISIBLE[actor]), key
    seen = item_keys(w, [e["itemId"] for e in got["byOffice"]["entries"]])
    assert seen <= VISIBLE[actor]
    assert seen == VISIBLE[actor]


def check_notice(w: World, actor: str, body: dict[str, Any]) -> None:
    got = data(body)["notice"]
    assert (got is not None) is (actor in NOTICE_READERS)
    if got is not None:
        assert (got["item"] is not None) is ("IB" in VISIBLE[actor])


def check_notices(w: World, actor: str, body: dict[str, Any]) -> None:
    got = data(body)["notices"]
    assert bool(got) is ("IB" in VISIBLE[actor])


def check_my_notices(w: World, actor: str, body: dict[str, Any]) -> None:
    got = data(body)["myNotices"]
    assert [n["id"] for n in got] == ([w.notice] if actor == "sup_a" else [])
    assert all(n["item"] is None for n in got)  # the mover no longer reads IB


def check_notice_document(w: World, actor: str, body: dict[str, Any]) -> None:
    assert (data(body)["noticeDocument"] is not None) is (actor in NOTICE_READERS)


def check_ledger_export(w: World, actor: str, body: dict[str, Any]) -> None:
    text = xlsx_text(data(body)["ledgerExport"]["contentBase64"])
    for key in ITEMS:
        assert (w.canaries[key][0] in text) is (key in VISIBLE[actor]), key


def check_statistics_export(w: World, actor: str, body: dict[str, Any]) -> None:
    text = xlsx_text(data(body)["statisticsExport"]["contentBase64"])
    for c in w.forbidden_canaries(actor):
        assert c not in text


def check_alert_counts(w: World, actor: str, body: dict[str, Any]) -> None:
    got = data(body)
    assert sum(c["count"] for c in got["all"]) == len(VISIBLE[actor])
    in_b = {k for k in VISIBLE[actor] if k in ("IB", "IAB")}
    assert sum(c["count"] for c in got["unitB"]) == len(in_b)


def check_counts_by_unit(w: World, actor: str, body: dict[str, Any]) -> None:
    got = {r["unit"]["id"]: sum(c["count"] for c in r["counts"]) for r in data(body)["rows"]}
    mine = {w.units[u] for u in AGGREGATE_UNITS.get(actor, set())}
    assert set(got) == mine
    expected = {"A": 2, "B": 2}  # A: IA, IAB; B: IB, IAB
    for u in AGGREGATE_UNITS.get(actor, set()):
        assert got[w.units[u]] == expected[u]


def check_counts_by_source(w: World, actor: str, body: dict[str, Any]) -> None:
    total = sum(c["count"] for r in data(body)["alertCountsBySource"] for c in r["counts"])
    assert total == len(VISIBLE[actor])


def check_red(w: World, actor: str, body: dict[str, Any]) -> None:
    ids = [r["item"]["id"] for r in data(body)["newestRedItems"]]
    assert item_keys(w, ids) == VISIBLE[actor]


def check_stalled(w: World, actor: str, body: dict[str, Any]) -> None:
    ids = [r["item"]["id"] for r in data(body)["longestStalledItems"]]
    assert item_keys(w, ids) <= VISIBLE[actor]


def check_alerted(w: World, actor: str, body: dict[str, Any]) -> None:
    ids = [r["item"]["id"] for r in data(body)["alertedItems"]]
    assert item_keys(w, ids) == VISIBLE[actor]


def own_inbox(w: World, actor: str, body: dict[str, Any]) -> None:
    # asks for cadre_owner's inbox: their own, or the office's
    forbidden_unless({"office", "cadre_owner"})(w, actor, body)


def check_rankings(w: World, actor: str, body: dict[str, Any]) -> None:
    forbidden_unless({"office", "leader", "head_a"})(w, actor, body)
    if actor == "head_a":
        ids = [n["personId"] for n in data(body)["cadreRankings"]["nodes"]]
        assert person_keys(w, ids) <= {"cadre_owner", "cadre_other", "mover"}
        assert len(ids) == len(person_keys(w, ids))


def check_exemptions(w: World, actor: str, body: dict[str, Any]) -> None:
    data(body)  # none exist: the canary scan covers the rest


ITEM_ALIASES = " ".join(
    f"{k}: item(id: ${k}) {{ id title reports {{ narrative }} }}" for k in ITEMS
)
ITEM_VARS = "(" + ", ".join(f"${k}: ID!" for k in ITEMS) + ")"
AUDIT_VARS = "(" + ", ".join(f"${k}: ID" for k in ITEMS) + ", $office: ID)"
AUDIT_ALIASES = " ".join(
    f"{k}: auditTrail(itemId: ${k}) {{ entries {{ itemId after }} }}" for k in ITEMS
)


def item_vars(w: World) -> dict[str, Any]:
    return dict(w.items)


ROOT: dict[str, dict[str, Row]] = {
    "tasks": {
        "items": Row(
            "{ items(first: 200) { nodes { id title content code reports { narrative } } } }",
            check_items,
        ),
        "item": Row(f"query{ITEM_VARS} {{ {ITEM_ALIASES} }}", check_item, item_vars),
        "itemStatistics": Row("{ itemStatistics(groupBy: STATE) { key total } }", check_statistics),
        "units": Row("{ units { id name } }", check_units),
        "people": Row("{ people(first: 1000) { id name mobile email } }", check_people),
        "me": Row("{ me { id name } }", check_me),
        "auditTrail": Row(
            f"query{AUDIT_VARS} {{ {AUDIT_ALIASES}"
            " byOffice: auditTrail(actorId: $office, first: 500) { entries { itemId after } } }",
            check_audit,
            lambda w: {**w.items, "office": OFFICE_ID},
        ),
        "notice": Row(
            "query($n: ID!) { notice(id: $n) { id content item { id title } recipients {"
            " personId } } }",
            check_notice,
            lambda w: {"n": w.notice},
        ),
        "notices": Row(
            "query($i: ID!) { notices(itemId: $i) { id item { title } } }",
            check_notices,
            lambda w: {"i": w.items["IB"]},
        ),
        "myNotices": Row("{ myNotices { id item { id title } } }", check_my_notices),
        "noticeDocument": Row(
            "query($n: ID!) { noticeDocument(id: $n) { fileName } }",
            check_notice_document,
            lambda w: {"n": w.notice},
            # the recipient's copy of the notice names the item's code (its file name)
            lambda w, actor: {w.canaries["IB"][2]} if actor == "sup_a" else set(),
        ),
        "ledgerExport": Row("{ ledgerExport { contentBase64 } }", check_ledger_export),
        # a leader's own instructions (代录批示); every other role is refused
        "myInstructions": Row(
            "{ myInstructions { id itemId content } }", forbidden_unless({"leader"})
        ),
        "tasksDeadLetters": Row("{ tasksDeadLetters { id error } }", forbidden_unless({"office"})),
        "calendarYear": Row("{ calendarYear(year: 2018) { year } }", check_calendar_year),
        "calendarCoverage": Row(
            "{ calendarCoverage { lastYear daysLeft warning } }", check_calendar_coverage
        ),
        "statisticsExport": Row("{ statisticsExport { contentBase64 } }", check_statistics_export),
    },
    "alerts": {
        "integrationEventTypes": Row("{ integrationEventTypes { type } }", no_error),
        "integrationClients": Row("{ integrationClients { id name } }", integrations_only),
        "webhookSubscriptions": Row("{ webhookSubscriptions { id url } }", integrations_only),
        "webhookStats": Row(
            "query($i: ID!) { webhookStats(id: $i) { delivered } }",
            integrations_only,
            lambda w: {"i": str(uuid.uuid4())},
        ),
        "webhookAttempts": Row(
            "query($i: ID!) { webhookAttempts(id: $i) { id } }",
            integrations_only,
            lambda w: {"i": str(uuid.uuid4())},
        ),
        "integrationEvents": Row(
            "{ integrationEvents(first: 50) { events hasNextPage } }", integrations_only
        ),
        "alertsDeadLetters": Row(
            "{ alertsDeadLetters { id error } }", forbidden_unless({"office"})
        ),
        "alertCounts": Row(
            "query($b: ID) { all: alertCounts { level count }"
            " unitB: alertCounts(unitId: $b) { level count } }",
            check_alert_counts,
            lambda w: {"b": w.units["B"]},
        ),
        "alertCountsByUnit": Row(
            "query($u: [ID!]) { rows: alertCountsByUnit(unitIds: $u) { unit { id alertCounts"
            " { count } } counts { count } } }",
            check_counts_by_unit,
            lambda w: {"u": list(w.units.values())},
        ),
        "alertCountsBySource": Row(
            "{ alertCountsBySource { source counts { count } } }", check_counts_by_source
        ),
        "newestRedItems": Row(
            "{ newestRedItems(limit: 200) { item { id alert { level history { level } } }"
            " code title } }",
            check_red,
        ),
        "longestStalledItems": Row(
            "{ longestStalledItems(limit: 200) { item { id } code title } }", check_stalled
        ),
        "alertedItems": Row(
            "{ alertedItems(levels: [RED, YELLOW, BLUE, GREEN], first: 200) { item { id }"
            " code level } }",
            check_alerted,
        ),
        "alertRules": Row("{ alertRules { source } }", forbidden_unless(READ_ALL)),
        "alertReminderRules": Row(
            "{ alertReminderRules { version templates { key text } } }",
            forbidden_unless(READ_ALL),
        ),
        "inbox": Row(
            "query($p: ID) { inbox(personId: $p) { id title body itemId } }",
            own_inbox,
            lambda w: {"p": w.people["cadre_owner"]},
        ),
        "inboxUnreadCount": Row(
            "query($p: ID) { inboxUnreadCount(personId: $p) }",
            own_inbox,
            lambda w: {"p": w.people["cadre_owner"]},
        ),
        "channelPreferences": Row(
            "query($p: ID) { channelPreferences(personId: $p) { email } }",
            own_inbox,
            lambda w: {"p": w.people["cadre_owner"]},
        ),
        "notificationLog": Row(
            "{ notificationLog(first: 500) { id title body itemId } }", forbidden_unless(READ_ALL)
        ),
        "unitRobots": Row("{ unitRobots { unitId hasRobot } }", forbidden_unless({"office"})),
    },
    "evaluation": {
        "evaluationDeadLetters": Row(
            "{ evaluationDeadLetters { id error } }", forbidden_unless({"office"})
        ),
        "myPerformance": Row("{ myPerformance { score entries } }", no_error),
        "evaluationPeriods": Row("{ evaluationPeriods { id name } }", no_error),
        "evaluationRuleSet": Row("{ evaluationRuleSet(kind: SCORING) { version } }", no_error),
        "cadreRankings": Row(
            "query($p: ID!) { cadreRankings(periodId: $p, first: 200) { nodes { personId } } }",
            check_rankings,
            lambda w: {"p": w.period},
        ),
        "unitRankings": Row(
            "query($p: ID!) { unitRankings(periodId: $p) { unitId total } }",
            forbidden_unless(READ_ALL),
            lambda w: {"p": w.period},
        ),
        "exemptionCaseTypes": Row("{ exemptionCaseTypes { code } }", no_error),
        "exemptions": Row("{ exemptions { id } }", check_exemptions),
        "evaluationFlags": Row(
            "query($p: ID!) { evaluationFlags(periodId: $p) { personId } }",
            forbidden_unless(READ_ALL),
            lambda w: {"p": w.period},
        ),
        "rankingsExport": Row(
            "query($p: ID!) { rankingsExport(periodId: $p) { filename } }",
            forbidden_unless(READ_ALL),
            lambda w: {"p": w.period},
        ),
        "bulletinExport": Row(
            "query($p: ID!) { bulletinExport(periodId: $p) { filename } }",
            forbidden_unless(READ_ALL),
            lambda w: {"p": w.period},
        ),
    },
}


# --- the table of entity types ----------------------------------------------------------


@dataclass(frozen=True)
class EntityRow:
    selection: str  # fields inside `... on <Type>`
    keys: Callable[[World], dict[str, str]]  # representation id by key
    check: Callable[[World, str, str, Any], None]  # (world, actor, key, entity)


def item_entity(field: str | None) -> Callable[[World, str, str, Any], None]:
    def check(w: World, actor: str, key: str, entity: Any) -> None:
        readable = entity is not None and (field is None or entity.get(field) is not None)
        assert readable is (key in VISIBLE[actor]), (actor, key, entity)

    return check


def directory(w: World, actor: str, key: str, entity: Any) -> None:
    assert entity is not None and entity.get("name")
    if "mobile" in entity:
        assert (entity["mobile"] is not None) is (key in CONTACT.get(actor, set())), key


def unit_counts(w: World, actor: str, key: str, entity: Any) -> None:
    assert entity is not None
    assert (entity["alertCounts"] is not None) is (key in AGGREGATE_UNITS.get(actor, set()))


def performance(w: World, actor: str, key: str, entity: Any) -> None:
    assert entity is not None
    assert (entity["performance"] is not None) is (key in PERFORMANCE.get(actor, set())), key


def unit_evaluation(w: World, actor: str, key: str, entity: Any) -> None:
    assert entity is not None
    if key not in UNIT_EVALUATION.get(actor, set()):
        assert entity["evaluation"] is None, key


def item_reps(w: World) -> dict[str, str]:
    return dict(w.items)


def person_reps(w: World) -> dict[str, str]:
    return {k: w.people[k] for k in PEOPLE}


def unit_reps(w: World) -> dict[str, str]:
    return dict(w.units)


ENTITIES: dict[str, dict[str, EntityRow]] = {
    "tasks": {
        "SupervisionItem": EntityRow(
            "id title content code reports { narrative } auditTrail { action after }"
            " notices { id } assignments { state } verifications { approved }",
            item_reps,
            item_entity(None),
        ),
        "Person": EntityRow("name mobile email unit { id }", person_reps, directory),
        "Unit": EntityRow("name code", unit_reps, directory),
    },
    "alerts": {
        "SupervisionItem": EntityRow(
            "alert { level reason history { level reason } timeInLevels { level } }",
            item_reps,
            item_entity("alert"),
        ),
        "Unit": EntityRow("alertCounts { level count }", unit_reps, unit_counts),
    },
    "evaluation": {
        "SupervisionItem": EntityRow(
            "evaluation { outcome originalDeadline colourTimes { level } }",
            item_reps,
            item_entity("evaluation"),
        ),
        "Person": EntityRow(
            "performance { score entries items { title } lines { explanation } }",
            person_reps,
            performance,
        ),
        "Unit": EntityRow(
            "evaluation(periodId: $period) { total lines }", unit_reps, unit_evaluation
        ),
    },
}


# --- the tests -------------------------------------------------------------------------


def scan(
    w: World, actor: str, body: dict[str, Any], addressed: frozenset[str] | set[str] = frozenset()
) -> None:
    """No canary of an item the caller may not read, and no INTERNAL error."""
    text = json.dumps(body, ensure_ascii=False)
    leaked = [c for c in w.forbidden_canaries(actor) if c in text and c not in addressed]
    assert not leaked, f"{actor} read {leaked}: {text[:2000]}"
    assert "INTERNAL" not in codes(body), body


@pytest.mark.parametrize("service", SERVICES)
def test_every_root_field_and_entity_type_has_a_row(service: str) -> None:
    schema = spec(service).schema()._schema
    assert schema.query_type is not None
    fields = set(schema.query_type.fields) - {"_service", "_entities"}
    assert fields == set(ROOT[service]), "add a row for each new root field"
    entity = schema.get_type("_Entity")
    assert isinstance(entity, GraphQLUnionType)
    names = {t.name for t in entity.types}
    assert names == set(ENTITIES[service]), "add a row for each new entity type"


ROOT_CASES = [(s, f, a) for s in SERVICES for f in ROOT[s] for a in ACTORS]


@pytest.mark.parametrize(("service", "field", "actor"), ROOT_CASES)
async def test_root_field(world: World, service: str, field: str, actor: str) -> None:
    row = ROOT[service][field]
    body = await world.client(service, actor).raw(row.query, row.variables(world))
    scan(world, actor, body, row.addressed(world, actor))
    row.check(world, actor, body)


ENTITY_CASES = [(s, t, a) for s in SERVICES for t in ENTITIES[s] for a in ACTORS]


@pytest.mark.parametrize(("service", "typename", "actor"), ENTITY_CASES)
async def test_entities(world: World, service: str, typename: str, actor: str) -> None:
    row = ENTITIES[service][typename]
    reps = row.keys(world)
    uses_period = "$period" in row.selection
    query = (
        f"query($r: [_Any!]!{', $period: ID!' if uses_period else ''}) {{"
        f" _entities(representations: $r) {{ ... on {typename} {{ {row.selection} }} }} }}"
    )
    variables: dict[str, Any] = {"r": [{"__typename": typename, "id": i} for i in reps.values()]}
    if uses_period:
        variables["period"] = world.period
    body = await world.client(service, actor).raw(query, variables)
    scan(world, actor, body)
    got = data(body)["_entities"]
    assert len(got) == len(reps)
    for key, entity in zip(reps, got, strict=True):
        row.check(world, actor, key, entity)


# --- subscriptions -----------------------------------------------------------------------

SUBSCRIBE = "subscription { alertLevelChanged { item { id } code title unitIds } }"


def principal_of(w: World, actor: str) -> Principal:
    a = ACTORS[actor]
    return Principal(
        w.subjects[actor],
        roles=frozenset(Role(r) for r in a.roles),
        unit_ids=frozenset(w.units[u] for u in a.units),
        operations=frozenset(a.ops),
    )


@contextlib.asynccontextmanager
async def colour_stream(w: World, actor: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The caller's ``alertLevelChanged`` stream on the in-process alerts subgraph; yields
    the changes received so far, once the stream's NATS subscription is in place."""
    app = w.apps["alerts"]
    nc = app.state.nc
    before = len(nc._subs)
    ctx = Context(None, None, app.state.pool, principal_of(w, actor), app.state)  # type: ignore[arg-type]
    stream = await spec("alerts").schema().subscribe(SUBSCRIBE, context_value=ctx)
    assert hasattr(stream, "__anext__"), stream
    received: list[dict[str, Any]] = []

    async def collect() -> None:
        async for result in stream:  # type: ignore[union-attr]
            assert not result.errors and result.data, result.errors
            received.append(result.data["alertLevelChanged"])

    task = asyncio.create_task(collect())
    try:
        # publications after the subscription (same NATS connection) reach it, in order
        await wait_for(lambda: _true(len(nc._subs) > before or task.done()), timeout=10)
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if task.done() and not task.cancelled() and task.exception():
        raise task.exception()  # type: ignore[misc]


async def _true(value: bool) -> bool:
    return value


async def publish(w: World, item: str, units: list[str], owners: list[str], title: str) -> None:
    event = LevelChanged(
        item_id=item,
        unit_ids=units,
        owner_ids=owners,
        level="RED",
        changed_at=datetime.now(UTC),
        code=title,
        title=title,
    )
    await w.apps["alerts"].state.nc.publish(LevelChanged.type, event.envelope(item, 1).to_json())


@pytest.mark.parametrize("actor", sorted(ACTORS))
async def test_the_colour_stream_carries_only_readable_items(world: World, actor: str) -> None:
    """A change of each item is published, then a marker the caller reads (an item of the
    caller's own units and owned by the caller; the office's stream for callers who read
    nothing); the caller's stream carries exactly the readable items, in order."""
    w = world
    facts = {
        "IA": ([w.units["A"]], [w.people["cadre_owner"]]),
        "IB": ([w.units["B"]], []),
        "IAB": ([w.units["B"], w.units["A"]], []),
    }
    marker = str(uuid.uuid4())
    a = ACTORS[actor]
    async with colour_stream(w, actor) as received, colour_stream(w, "office") as office:
        for key in ITEMS:
            units, owners = facts[key]
            await publish(w, w.items[key], units, owners, w.canaries[key][0])
        await publish(w, marker, [w.units[u] for u in a.units], [w.subjects[actor]], "marker")

        async def done() -> bool:
            ids = [c["item"]["id"] for c in received]
            office_done = marker in [c["item"]["id"] for c in office]
            return marker in ids or (actor == "integ_none" and office_done)

        await wait_for(done, timeout=20)
    ids = [c["item"]["id"] for c in received]
    assert item_keys(w, ids) == VISIBLE[actor]
    for change in received:
        scan(w, actor, {"data": change})
