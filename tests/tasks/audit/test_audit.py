"""Audit trail: append-only, hash-chained, verified, readable per item and per person."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from services.cli import main
from services.core.db import apply_migrations, connect, migrations_for
from services.core.settings import Settings
from services.tasks.audit.service import append_audit, verify_chain, verify_database
from tests.support.servers import GraphQLClient, running_service, token


@pytest_asyncio.fixture(scope="module")
async def service(settings: Settings) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    async with running_service("tasks", settings) as running:
        yield running


@pytest_asyncio.fixture(scope="module")
async def conn(settings: Settings, service: Any) -> AsyncIterator[asyncpg.Connection]:
    c = await connect(settings.require_database_url(), "tasks")
    try:
        yield c
    finally:
        await c.close()


async def append(conn: asyncpg.Connection, n: int = 1, item_id: uuid.UUID | None = None) -> None:
    for i in range(n):
        async with conn.transaction():
            await append_audit(
                conn,
                actor_id="actor-1",
                action="item.probe",
                subject_type="item",
                subject_id=str(item_id or "none"),
                item_id=item_id,
                before={"percent": i, "标题": "旧"},
                after={"percent": i + 1, "标题": "新", "nested": {"b": 1.5, "a": [1, "二"]}},
            )


async def test_entries_form_a_gap_free_chain_that_verifies(conn: asyncpg.Connection) -> None:
    await append(conn, 5)
    rows = await conn.fetch("SELECT chain_seq, prev_hash, hash FROM audit_log ORDER BY chain_seq")
    assert [r["chain_seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["prev_hash"] == "0" * 64
    for previous, row in itertools.pairwise(rows):
        assert row["prev_hash"] == previous["hash"]
    result = await verify_chain(conn)
    assert result.ok and result.checked == len(rows), result.describe()


async def test_concurrent_appends_stay_linear(settings: Settings, conn: asyncpg.Connection) -> None:
    dsn = settings.require_database_url()
    conns = [await connect(dsn, "tasks") for _ in range(4)]
    try:
        await asyncio.gather(*(append(c, 10) for c in conns))
    finally:
        for c in conns:
            await c.close()
    result = await verify_chain(conn)
    assert result.ok, result.describe()
    count = await conn.fetchval("SELECT count(*) FROM audit_log")
    assert (
        result.checked == count
        and await conn.fetchval("SELECT max(chain_seq) FROM audit_log") == count
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
async def test_the_service_connection_cannot_change_entries(
    conn: asyncpg.Connection, statement: str
) -> None:
    before = await conn.fetchval("SELECT count(*) FROM audit_log")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await conn.execute(statement)
    # also with triggers switched to replica mode (what pg_restore / replication use)
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(statement)
    assert await conn.fetchval("SELECT count(*) FROM audit_log") == before


async def test_a_non_superuser_owner_has_no_update_delete_truncate_privilege(
    settings: Settings,
) -> None:
    admin_dsn = settings.require_database_url()
    role = f"ducha_app_{uuid.uuid4().hex[:8]}"
    db = f"own_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{db}" OWNER "{role}"')
    finally:
        await admin.close()
    host = admin_dsn.split("@", 1)[1].rsplit("/", 1)[0]
    dsn = f"postgresql://{role}@{host}/{db}"
    await apply_migrations(dsn, "tasks", migrations_for("tasks"))
    c = await connect(dsn, "tasks")
    try:
        await append(c, 2)
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await c.execute(statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await c.execute("TRUNCATE audit_log")
        assert (await verify_chain(c)).checked == 2
    finally:
        await c.close()


async def test_a_superuser_tampering_with_a_row_is_detected(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = await _fresh_tasks_database(settings)
    c = await connect(dsn, "tasks")
    try:
        await append(c, 5)
    finally:
        await c.close()
    assert (await verify_database(dsn)).ok
    await asyncio.to_thread(main, ["audit-verify", "--database-url", dsn])
    assert "intact: 5 entries" in capsys.readouterr().out

    su = await asyncpg.connect(dsn)  # the embedded server's superuser
    try:
        await su.execute("ALTER TABLE tasks.audit_log DISABLE TRIGGER audit_log_no_update_delete")
        await su.execute(
            "UPDATE tasks.audit_log SET after = '{\"percent\": 100}' WHERE chain_seq = 3"
        )
        await su.execute(
            "ALTER TABLE tasks.audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete"
        )
    finally:
        await su.close()
    result = await verify_database(dsn)
    assert not result.ok and result.broken is not None
    assert result.broken.chain_seq == 3 and "altered" in result.broken.reason
    assert result.checked == 2

    with pytest.raises(SystemExit) as exit_info:
        await asyncio.to_thread(main, ["audit-verify", "--database-url", dsn])
    assert exit_info.value.code == 1
    assert "BROKEN at entry #3" in capsys.readouterr().out


async def test_recomputing_the_hash_of_an_altered_row_breaks_the_next_link(
    settings: Settings,
) -> None:
    """A tamperer who also rewrites the row's hash is caught by the next entry's prev_hash."""
    db = await _fresh_tasks_database(settings)
    c = await connect(db, "tasks")
    try:
        await append(c, 4)
        su = await asyncpg.connect(db)
        try:
            await su.execute("ALTER TABLE tasks.audit_log DISABLE TRIGGER USER")
            await su.execute(
                "UPDATE tasks.audit_log SET actor_id = 'someone-else',"
                " hash = tasks.audit_entry_hash(chain_seq, prev_hash, occurred_at, 'someone-else',"
                " action, subject_type, subject_id, item_id, before, after, request_id)"
                " WHERE chain_seq = 2"
            )
            await su.execute("DELETE FROM tasks.audit_log WHERE chain_seq = 4")
        finally:
            await su.close()
        result = await verify_chain(c)
        assert result.broken is not None and result.broken.chain_seq == 3
        assert "prev_hash" in result.broken.reason
    finally:
        await c.close()


async def test_a_deleted_entry_is_detected(settings: Settings) -> None:
    db = await _fresh_tasks_database(settings)
    c = await connect(db, "tasks")
    try:
        await append(c, 4)
        su = await asyncpg.connect(db)
        try:
            await su.execute("ALTER TABLE tasks.audit_log DISABLE TRIGGER USER")
            await su.execute("DELETE FROM tasks.audit_log WHERE chain_seq = 2")
        finally:
            await su.close()
        result = await verify_chain(c)
        assert result.broken is not None and result.broken.chain_seq == 3
        assert "missing" in result.broken.reason
        ok = await verify_database(db)
        assert not ok.ok
    finally:
        await c.close()


async def _fresh_tasks_database(settings: Settings) -> str:
    admin_dsn = settings.require_database_url()
    name = f"audit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = admin_dsn.rsplit("/", 1)[0] + f"/{name}"
    await apply_migrations(dsn, "tasks", migrations_for("tasks"))
    return dsn


ITEM_TRAIL = """
query ($item: ID, $actor: ID, $first: Int, $after: String) {
  auditTrail(itemId: $item, actorId: $actor, first: $first, after: $after) {
    entries { seq actorId action itemId before after hash prevHash }
    hasMore endCursor
  }
}"""


async def _unit_and_item(client: GraphQLClient) -> tuple[str, str]:
    code = uuid.uuid4().hex[:6]
    unit = await client(
        "mutation ($c: String!) { unitCreate(input: {code: $c, name: $c, kind: STREET,"
        ' category: "街道"}) { ... on UnitCreateSuccess { unit { id } } } }',
        {"c": code},
    )
    unit_id = unit["unitCreate"]["unit"]["id"]
    item = await client(
        'mutation ($u: ID!) { itemCreate(input: {title: "痕迹测试", leadUnitId: $u,'
        ' startDate: "2018-01-01", deadline: "2018-06-30"}) {'
        " ... on ItemCreateSuccess { item { id } } } }",
        {"u": unit_id},
    )
    return unit_id, item["itemCreate"]["item"]["id"]


async def test_trail_per_item_and_per_person_respects_who_sees_the_item(
    settings: Settings, service: tuple[Any, GraphQLClient], conn: asyncpg.Connection
) -> None:
    _, client = service
    unit_id, item_id = await _unit_and_item(client)
    other_unit, _ = await _unit_and_item(client)
    await append(conn, 3, uuid.UUID(item_id))

    office = await client(ITEM_TRAIL, {"item": item_id, "first": 2})
    page = office["auditTrail"]
    assert len(page["entries"]) == 2 and page["hasMore"]
    rest = await client(ITEM_TRAIL, {"item": item_id, "after": page["endCursor"]})
    entries = page["entries"] + rest["auditTrail"]["entries"]
    assert {e["itemId"] for e in entries} == {item_id}
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert entries[-1]["after"]["标题"] == "新"

    head = client.as_(token(settings, "UNIT_HEAD", subject=str(uuid.uuid4()), units=[unit_id]))
    seen = await head(ITEM_TRAIL, {"item": item_id})
    assert len(seen["auditTrail"]["entries"]) >= 3
    stranger = client.as_(
        token(settings, "UNIT_HEAD", subject=str(uuid.uuid4()), units=[other_unit])
    )
    assert (await stranger(ITEM_TRAIL, {"item": item_id}))["auditTrail"]["entries"] == []
    by_actor = await stranger(ITEM_TRAIL, {"actor": "actor-1"})
    assert all(e["itemId"] != item_id for e in by_actor["auditTrail"]["entries"])

    leader = client.as_(token(settings, "LEADER", subject=str(uuid.uuid4())))
    mine = await leader(ITEM_TRAIL, {"actor": "actor-1", "first": 500})
    assert {e["actorId"] for e in mine["auditTrail"]["entries"]} == {"actor-1"}
    assert item_id in {e["itemId"] for e in mine["auditTrail"]["entries"]}

    everything = await stranger.raw(ITEM_TRAIL, {})
    assert everything["errors"][0]["extensions"]["code"] == "FORBIDDEN"
