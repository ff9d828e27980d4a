"""Handlers inside transactions: projection facts, ledger entries, exemptions both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from services.contracts import tasks as tasks_events
from services.core.auth import Principal, Role
from services.core.db import apply_migrations, create_pool, migrations_for
from services.core.errors import Conflict, DomainError, ValidationFailed
from services.core.settings import Settings
from services.evaluation.exemptions import service as service_exemptions
from tests.evaluation.builders import ItemHistory, new_id, person_event, unit_event
from tests.evaluation.support import deliver, rules_of, total

OFFICE = Principal("office", roles=frozenset({Role.SUPERVISION_OFFICE}))
NOW = datetime(2018, 9, 1, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    dsn = settings.require_database_url()
    await apply_migrations(dsn, "evaluation", migrations_for("evaluation"))
    p = await create_pool(dsn, "evaluation")
    try:
        yield p
    finally:
        await p.close()


async def setup_item(pool: asyncpg.Pool, **kw: object) -> ItemHistory:
    unit, owner, leader = new_id(), new_id(), new_id()
    await deliver(
        pool,
        [
            unit_event(unit, "城关街道"),
            person_event(owner, "张三", unit),
            person_event(leader, "李四", unit, rank="副处", roles=["LEADER"]),
        ],
    )
    item = ItemHistory(new_id(), "背街小巷整治", unit, [owner], leader, **kw)  # type: ignore[arg-type]
    await deliver(pool, [item.event(tasks_events.ItemCreated, datetime(2018, 1, 2, tzinfo=UTC))])
    return item


async def test_taken_on_weighted_and_leader_share(pool: asyncpg.Pool) -> None:
    item = await setup_item(pool, importance=2, difficulty=1.5)
    assert await rules_of(pool, item.owner_ids[0]) == [("ITEM_TAKEN_ON", 3.0)]
    assert await rules_of(pool, item.leader_id or "") == [("ITEM_TAKEN_ON", 1.5)]


async def test_completion_inside_an_approved_extension_is_on_time(pool: asyncpg.Pool) -> None:
    item = await setup_item(pool, importance=1, difficulty=1.0)
    await deliver(
        pool,
        [
            item.event(
                tasks_events.ItemExtensionDecided, NOW, approved=True, new_deadline="2018-07-31"
            )
        ],
    )
    item.deadline = date(2018, 7, 31)  # the deadline_changed snapshot carries it
    # 2018-07-05 02:00 Shanghai: after the original deadline, inside the extension
    await deliver(pool, [item.complete(datetime(2018, 7, 4, 18, tzinfo=UTC))])
    owner = item.owner_ids[0]
    assert (await rules_of(pool, owner))[-2:] == [
        ("EXTENSION_APPROVED", -1.0),
        ("COMPLETED_ON_TIME", 5.0),
    ]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM items WHERE id = $1", UUID(item.id))
        unit_row = await conn.fetchrow("SELECT * FROM item_units WHERE item_id = $1", UUID(item.id))
    assert row["outcome"] == "ON_TIME" and row["days_overdue"] == 0 and row["extensions"] == 1
    assert unit_row["outcome"] == "ON_TIME" and unit_row["days_overdue"] == 0


async def test_completion_after_the_deadline_is_late_by_working_days(pool: asyncpg.Pool) -> None:
    item = await setup_item(pool, importance=1, difficulty=1.0)
    # 2018-07-05 02:00 Shanghai (Thursday): 4 working days after Saturday 2018-06-30
    await deliver(pool, [item.complete(datetime(2018, 7, 4, 18, tzinfo=UTC))])
    owner = item.owner_ids[0]
    assert (await rules_of(pool, owner))[-1] == ("COMPLETED_LATE", -3.4)
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM items WHERE id = $1", UUID(item.id))
        unit_row = await conn.fetchrow("SELECT * FROM item_units WHERE item_id = $1", UUID(item.id))
    assert row["outcome"] == "LATE" and row["days_overdue"] == 4 and row["extensions"] == 0
    assert unit_row["outcome"] == "LATE" and unit_row["days_overdue"] == 4


async def test_on_time_and_duplicate_delivery_scores_once(pool: asyncpg.Pool) -> None:
    item = await setup_item(pool, importance=3, difficulty=1.0)
    done = item.complete(datetime(2018, 6, 30, 8, tzinfo=UTC))
    await deliver(pool, [done])
    await deliver(pool, [done])  # redelivered: the inbox drops it
    assert await rules_of(pool, item.owner_ids[0]) == [
        ("ITEM_TAKEN_ON", 3.0),
        ("COMPLETED_ON_TIME", 15.0),
    ]


async def test_colours_and_disputes_are_penalised_and_timed(pool: asyncpg.Pool) -> None:
    item = await setup_item(pool)
    t0 = datetime(2018, 3, 1, tzinfo=UTC)
    await deliver(
        pool,
        [
            item.colour("GREEN", t0),
            item.colour("YELLOW", t0.replace(day=2)),
            item.colour("BLUE", t0.replace(day=4)),
            item.colour("RED", t0.replace(day=5)),
            item.event(tasks_events.ItemReportVerified, t0.replace(day=6), result="DISPUTED"),
            item.event(tasks_events.ItemReportVerified, t0.replace(day=7), result="CONFIRMED"),
        ],
    )
    owner = item.owner_ids[0]
    assert await rules_of(pool, owner) == [
        ("ITEM_TAKEN_ON", 1.0),
        ("COLOUR_YELLOW", -0.5),
        ("COLOUR_BLUE", -1.0),
        ("COLOUR_RED", -2.0),
        ("VERIFICATION_DISPUTED", -2.0),
    ]
    async with pool.acquire() as conn:
        spans = await conn.fetch(
            "SELECT level, extract(epoch FROM ended_at - started_at) / 3600 AS h"
            " FROM item_colour_spans WHERE item_id = $1 ORDER BY started_at",
            UUID(item.id),
        )
        row = await conn.fetchrow("SELECT * FROM items WHERE id = $1", UUID(item.id))
    assert [(s["level"], s["h"]) for s in spans] == [
        ("GREEN", 24),
        ("YELLOW", 48),
        ("BLUE", 24),
        ("RED", None),
    ]
    assert row["verifications_disputed"] == 1 and row["verifications_passed"] == 1


async def test_exemption_removes_and_revocation_restores_penalties(pool: asyncpg.Pool) -> None:
    item = await setup_item(pool)
    owner, leader = item.owner_ids[0], item.leader_id or ""
    with pytest.raises(ValidationFailed) as no_penalty:
        await service_exemptions.request_exemption(
            pool, OFFICE, UUID(item.id), "FORCE_MAJEURE", "暴雨", ["气象证明"], None, NOW
        )
    assert no_penalty.value.code == "NO_PENALTIES"
    await deliver(pool, [item.colour("RED", datetime(2018, 7, 1, tzinfo=UTC))])
    before_owner, before_leader = await total(pool, owner), await total(pool, leader)
    assert before_owner == -1.0 and before_leader == -0.5

    cadre = Principal(owner, roles=frozenset({Role.CADRE}))
    req = await service_exemptions.request_exemption(
        pool, cadre, UUID(item.id), "FORCE_MAJEURE", "暴雨导致停工", ["气象局证明"], None, NOW
    )
    with pytest.raises(Conflict):
        await service_exemptions.request_exemption(
            pool, cadre, UUID(item.id), "FORCE_MAJEURE", "再次申请", ["材料"], None, NOW
        )
    leader_principal = Principal(leader, roles=frozenset({Role.LEADER}))
    with pytest.raises(DomainError) as denied:
        await service_exemptions.decide_exemption(pool, leader_principal, req["id"], True, "", NOW)
    assert denied.value.code == "ROLE_MAY_NOT_DECIDE"
    assert await total(pool, owner) == before_owner  # nothing changed

    await service_exemptions.decide_exemption(pool, OFFICE, req["id"], True, "同意", NOW)
    assert await total(pool, owner) == 1.0 and await total(pool, leader) == 0.5
    assert ("EXEMPTED:COLOUR_RED", 2.0) in await rules_of(pool, owner)

    # a penalty arriving while the exemption stands is removed too
    await deliver(pool, [item.event(tasks_events.ItemReportVerified, NOW, result="DISPUTED")])
    assert await total(pool, owner) == 1.0

    await service_exemptions.revoke_exemption(pool, OFFICE, req["id"], "复核不符", NOW)
    assert await total(pool, owner) == 1.0 - 2.0 - 2.0
    assert await total(pool, leader) == 0.5 - 1.0 - 1.0
    owner_rules = [r for r, _ in await rules_of(pool, owner)]
    assert "RESTORED:COLOUR_RED" in owner_rules and "RESTORED:VERIFICATION_DISPUTED" in owner_rules
